// The API's reference page: Swagger UI drawn from the document the page names.
(function () {
  "use strict";
  var root = document.getElementById("api-reference");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-document"),
    domNode: root,
    // Deep links put a link inside each route's button (nested controls for screen readers).
    deepLinking: false,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: true,
    supportedSubmitMethods: ["get", "head"],
    validatorUrl: null,
    // The highlighter's colours are too faint on its dark background; plain text reads better.
    syntaxHighlight: { activated: false },
  });
  root.removeAttribute("aria-busy");

  // What Swagger UI leaves out for screen readers and keyboards, added as it draws: a name for
  // each parameter's list of values, and a way to reach the scrolling code samples by keyboard.
  function mend() {
    handOverMain();
    root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach(function (select) {
      select.setAttribute("aria-label", select.closest("tr").getAttribute("data-param-name"));
    });
    root.querySelectorAll("select:not([aria-label])").forEach(function (select) {
      select.setAttribute("aria-label", select.getAttribute("name") || select.className || "select");
    });
    root.querySelectorAll(".microlight:not([tabindex]), pre:not([tabindex])").forEach(function (block) {
      block.setAttribute("tabindex", "0");
    });
  }
  // The page's box is its main landmark until Swagger UI draws its own <main>: then the box
  // becomes a <div> (same id, so the skip link still leads there) holding the same children.
  function handOverMain() {
    var box = document.getElementById("main");
    if (!box || box.tagName !== "MAIN" || !root.querySelector("main")) {
      return;
    }
    var plain = document.createElement("div");
    Array.prototype.forEach.call(box.attributes, function (attribute) {
      plain.setAttribute(attribute.name, attribute.value);
    });
    while (box.firstChild) {
      plain.appendChild(box.firstChild);
    }
    box.parentNode.replaceChild(plain, box);
  }
  // Swagger UI takes over the address's fragment, so the browser no longer moves focus to the
  // skip link's target by itself: the link does it.
  var skip = document.querySelector("a.skip-link[href='#main']");
  if (skip) {
    skip.addEventListener("click", function () {
      var target = document.getElementById("main");
      if (target) {
        target.focus();
      }
    });
  }
  new MutationObserver(mend).observe(root, { childList: true, subtree: true });
})();
