// Loads the gateway's merged OpenAPI document; calls go to the same gateway, with the
// bearer token entered under "Authorize".
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "../openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    tryItOutEnabled: true,
  });
};
