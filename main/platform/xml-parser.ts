/**
 * One way of reading libvirt's and the OS database's XML: attributes as `@name`, every value kept
 * as the text it was (a MAC or a version is not a number), and the elements that may repeat
 * always as arrays, so callers never have to ask "one or many".
 */
import { XMLParser } from 'fast-xml-parser';

export function xmlParser(repeats: (elementName: string) => boolean): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (name) => repeats(name),
  });
}
