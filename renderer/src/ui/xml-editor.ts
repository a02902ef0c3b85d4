/**
 * Edit XML: the guest's definition in a text box, the changes shown as a diff before they are
 * saved, and libvirt's own words when it refuses the edit (the guest keeps its old definition).
 */
import type { Bridge, GuestInfo } from '../../../common/contract.js';
import { showModal } from './dialogs.js';
import { h } from './dom.js';
import { changedHunks, lineDiff } from './line-diff.js';

export function xmlEditorDialog(bridge: Bridge, g: GuestInfo): void {
  const ref = { host: g.host, uuid: g.uuid };
  const text = h('textarea', { className: 'xml-text', rows: 22, spellcheck: false, 'aria-label': 'Definition (XML)' });
  const diff = h('pre', { className: 'xml-diff', 'aria-label': 'Changes', hidden: true });
  const problem = h('p', { className: 'xml-problem', role: 'alert' });
  const review = h('button', { type: 'button' }, 'Show changes');
  const save = h('button', { type: 'button', className: 'primary' }, 'Save');
  let original = '';
  text.disabled = true;
  save.disabled = true;
  const m = showModal({
    title: `Edit XML of ${g.name}`,
    wide: true,
    testid: 'edit-xml',
    body: [
      h('p', { className: 'hint' }, 'The definition the guest boots with next. libvirt checks it when you save.'),
      text,
      diff,
      problem,
      h('div', { className: 'buttons' }, review, save),
    ],
  });
  const showDiff = (): void => {
    const hunks = changedHunks(lineDiff(original, text.value));
    diff.hidden = false;
    diff.replaceChildren(
      ...(hunks.length === 0
        ? [h('span', { className: 'muted' }, 'No changes.')]
        : hunks.map((d) =>
            d === null
              ? h('div', { className: 'gap' }, '…')
              : h(
                  'div',
                  { className: d.kind },
                  `${d.kind === 'added' ? '+' : d.kind === 'removed' ? '−' : ' '} ${d.text}`,
                ),
          )),
    );
  };
  review.addEventListener('click', showDiff);
  text.addEventListener('input', () => (diff.hidden = true));
  save.addEventListener('click', () => {
    showDiff();
    problem.textContent = '';
    save.disabled = true;
    bridge.invoke('guest.defineXml', { ...ref, xml: text.value }).then(
      () => m.close(true),
      (e: unknown) => {
        save.disabled = false;
        problem.textContent = e instanceof Error ? e.message : String(e);
      },
    );
  });
  bridge.invoke('guest.xml', ref).then(
    (r) => {
      original = r.xml;
      text.value = r.xml;
      text.disabled = false;
      save.disabled = false;
    },
    (e: unknown) => (problem.textContent = e instanceof Error ? e.message : String(e)),
  );
}
