// main: the router. Reads the location hash, mounts the matching view into
// #app and unmounts the previous one (closing its event stream and
// timers). Routes: #/ studies, #/study/ID, #/study/ID/trial/N.
// SPDX-License-Identifier: MIT
import { mountToken } from './token.js';
import { mountStudies } from './studies.js';
import { mountStudy } from './study.js';
import { mountTrial } from './trial.js';
import { el, clear } from './dom.js';

const app = document.getElementById('app');
let unmount = () => {};

function route() {
  unmount();
  unmount = () => {};
  clear(app);
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === '' || parts[0] === 'studies') {
    unmount = mountStudies(app);
  } else if (parts[0] === 'study' && parts[1] && parts[2] === 'trial' && parts[3]) {
    unmount = mountTrial(app, parts[1], parts[3]);
  } else if (parts[0] === 'study' && parts[1]) {
    unmount = mountStudy(app, parts[1]);
  } else {
    app.append(el('p', { class: 'error' }, 'No page at ', location.hash, '. ',
      el('a', { href: '#/' }, 'All studies')));
  }
  window.scrollTo(0, 0);
}

mountToken(document.getElementById('token'));
window.addEventListener('hashchange', route);
route();
