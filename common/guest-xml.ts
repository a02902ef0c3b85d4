/** The commands of the guest XML editor. Pure types: no Node, no DOM. */
import type { GuestRef } from './contract.js';

export interface GuestXmlCommands {
  /** The guest's persistent definition as libvirt prints it. */
  'guest.xml': { params: GuestRef; result: { xml: string } };
  /** Defines the guest from edited XML, validated by libvirt against its schema. */
  'guest.defineXml': { params: GuestRef & { xml: string }; result: null };
}
