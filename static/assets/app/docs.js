// Starts Swagger UI on /api/openapi.json. A classic script (not a module) because the Swagger UI
// bundle defines a global; loaded with `defer` after it, so both run in order. Fetching the
// document first lets the page say plainly why the docs are missing when the API has none yet.
(function () {
  'use strict';
  var status = document.getElementById('docs-status');
  var url = '/api/openapi.json';

  function fail(message) {
    status.textContent = message;
    status.className = 'docs-status error';
  }

  fetch(url, { headers: { Accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error('the server answered ' + response.status + ' ' + (response.statusText || '') + ' for ' + url);
      }
      return response.json().catch(function () {
        throw new Error(url + ' is not valid JSON');
      });
    })
    .then(function (spec) {
      if (typeof window.SwaggerUIBundle !== 'function') {
        throw new Error('the documentation viewer failed to load');
      }
      status.textContent = '';
      status.hidden = true;
      window.SwaggerUIBundle({
        spec: spec,
        dom_id: '#swagger',
        deepLinking: true,
        // The default validator badge loads an image from a third-party site: off, as the page
        // must work offline and the CSP allows nothing but this origin.
        validatorUrl: null,
        tryItOutEnabled: false,
        persistAuthorization: false,
      });
    })
    .catch(function (error) {
      fail('The API description could not be loaded: ' + error.message + '. The documentation appears here once the API serves its OpenAPI document.');
    });
})();
