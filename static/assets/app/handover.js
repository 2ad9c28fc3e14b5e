// The pages outside the app (/docs, /docs/problems) pass the app's sign-in on to the next page
// of the tab under the same rule as the app itself (api.js, docs/ui.md): the refresh token is
// taken out of sessionStorage as soon as the page starts, held in memory while it is shown, and
// put back only when it goes away. Left in storage while such a page was shown, a duplicated
// tab or a window opened from it copied the token, spent it, and so ended the session for both.
(function () {
  'use strict';
  var KEY = 'folio.refresh';
  var held = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  addEventListener('pagehide', function () {
    if (held) sessionStorage.setItem(KEY, held);
  });
  // Back from the back/forward cache: the tab may have moved on since this page held the token
  // (an app page spent it, or signed out). The token it holds is dropped, and whatever the page
  // just left handed over stays in storage for the next page of the app: this page needs none.
  addEventListener('pageshow', function (event) {
    if (event.persisted) held = null;
  });
})();
