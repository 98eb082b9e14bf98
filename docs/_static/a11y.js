/* What the keyboard and the language switch need in the reader's browser;
   docs/_ext/theme_a11y.py does the rest at build time.

   1. furo opens its two drawers (the site's navigation, the page's contents)
      with <label for="__navigation"> and <label for="__toc"> on hidden
      checkboxes, and a keyboard cannot reach a label. Each becomes a button
      that says whether its drawer is open; opening moves the focus into the
      drawer, Escape (or leaving it with Tab) closes it and gives the focus
      back. a11y.css keeps a closed drawer out of the Tab order.
   2. The language links keep the reader's place: this page's ?query (the
      search page's q=...) and #anchor go along; a section has the same id in
      every language.
   3. A table wider than the screen scrolls sideways in its wrapper; the
      wrapper's data-scroll says which way there is more to see ("right",
      "both", "left", or "none" when it fits), and a11y.css shades that
      edge, so that a phone reader sees the table goes on. */
(function () {
  "use strict";

  function shown(element) {
    return element.getClientRects().length > 0 && getComputedStyle(element).visibility === "visible";
  }

  function setUpDrawer(checkbox, drawer) {
    if (!checkbox || !drawer) return;
    drawer.id = drawer.id || checkbox.id.replace(/^_+/, "") + "-drawer";
    var buttons = [];
    document.querySelectorAll('label[for="' + checkbox.id + '"]:not(.overlay)').forEach(function (label) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = label.className;
      button.setAttribute("aria-label", checkbox.getAttribute("aria-label") || "");
      button.setAttribute("aria-controls", drawer.id);
      while (label.firstChild) button.appendChild(label.firstChild);
      label.replaceWith(button);
      button.addEventListener("click", function () {
        checkbox.checked = !checkbox.checked;
        update();
        if (checkbox.checked) {
          var first = Array.prototype.find.call(
            drawer.querySelectorAll("a[href], button, input:not([type=hidden])"), shown);
          if (first) first.focus();
        }
      });
      buttons.push(button);
    });

    function update() {
      buttons.forEach(function (button) {
        button.setAttribute("aria-expanded", String(checkbox.checked));
      });
    }

    function close() {
      checkbox.checked = false;
      update();
    }

    checkbox.addEventListener("change", update);  // the overlay closes it too
    drawer.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && checkbox.checked) {
        close();
        var back = buttons.find(shown);
        if (back) back.focus();
      }
    });
    drawer.addEventListener("focusout", function (event) {
      var to = event.relatedTarget;
      if (checkbox.checked && to && !drawer.contains(to) && buttons.indexOf(to) < 0) close();
    });
    update();
  }

  function setUpLanguageLinks() {
    if (document.getElementById("page-not-found")) return;  // each goes to a home page
    var links = document.querySelectorAll("a.language-link");
    links.forEach(function (link) { link.dataset.page = link.getAttribute("href"); });
    function carry() {
      links.forEach(function (link) {
        link.setAttribute("href", link.dataset.page + location.search + location.hash);
      });
    }
    carry();
    window.addEventListener("hashchange", carry);
    links.forEach(function (link) {
      ["click", "focus", "mousedown"].forEach(function (type) { link.addEventListener(type, carry); });
    });
  }

  function markScrollingTables() {
    var wrappers = document.querySelectorAll(".table-wrapper");
    function mark(wrapper) {
      var more = wrapper.scrollWidth - wrapper.clientWidth;
      var left = wrapper.scrollLeft > 1, right = wrapper.scrollLeft < more - 1;
      wrapper.dataset.scroll = left && right ? "both" : left ? "left" : right ? "right" : "none";
    }
    wrappers.forEach(function (wrapper) {
      mark(wrapper);
      wrapper.addEventListener("scroll", function () { mark(wrapper); }, { passive: true });
    });
    window.addEventListener("resize", function () { wrappers.forEach(mark); });
  }

  setUpDrawer(document.getElementById("__navigation"), document.querySelector(".sidebar-drawer"));
  setUpDrawer(document.getElementById("__toc"), document.querySelector(".toc-drawer"));
  setUpLanguageLinks();
  markScrollingTables();
})();
