// token: the header box where a user enters the server's write token. It
// is kept in sessionStorage (through api.js) and forgotten with the tab;
// pages show stop/resume only while one is set.
// SPDX-License-Identifier: MIT
import { getToken, setToken } from './api.js';
import { el, clear } from './dom.js';

export function mountToken(box) {
  function render() {
    clear(box);
    if (getToken()) {
      box.append(el('span', { class: 'muted' }, 'Write token set '),
        el('button', { type: 'button', class: 'link', onclick: () => setToken('') }, 'forget'));
      return;
    }
    const input = el('input', {
      type: 'password', placeholder: 'write token', 'aria-label': 'write token',
      autocomplete: 'off', size: 14,
    });
    const form = el('form', {
      class: 'token-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        setToken(input.value.trim());
      },
    }, input, el('button', { type: 'submit' }, 'Use'));
    box.append(form);
  }
  window.addEventListener('hpod-token', render);
  render();
}
