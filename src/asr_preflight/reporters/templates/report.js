(function () {
  "use strict";
  // Reads data-* attributes and textContent only; never writes HTML.
  var byId = function (id) { return document.getElementById(id); };
  var verdict = byId("filter-verdict");
  var rule = byId("filter-rule");
  var text = byId("filter-text");
  var shown = byId("shown-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.vm-row"));
  var blocks = Array.prototype.slice.call(document.querySelectorAll("details.vm"));
  var findings = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var haystacks = null;

  function hasRule(element, code) {
    return (" " + (element.getAttribute("data-rules") || "") + " ").indexOf(" " + code + " ") >= 0;
  }

  function apply() {
    var v = verdict.value;
    var r = rule.value;
    var t = text.value.trim().toLowerCase();
    if (t && haystacks === null) {
      haystacks = blocks.map(function (b) { return b.textContent.toLowerCase(); });
    }
    var count = 0;
    for (var i = 0; i < blocks.length; i++) {
      var b = blocks[i];
      var ok = (!v || b.getAttribute("data-verdict") === v) &&
        (!r || hasRule(b, r)) &&
        (!t || haystacks[i].indexOf(t) >= 0);
      b.hidden = !ok;
      if (rows[i]) { rows[i].hidden = !ok; }
      if (ok) { count++; }
    }
    for (var j = 0; j < findings.length; j++) {
      findings[j].hidden = !!r && findings[j].getAttribute("data-rule") !== r;
    }
    shown.textContent = String(count);
    shown.setAttribute("data-count", String(count));
  }

  var timer = null;
  function later() {
    if (timer !== null) { clearTimeout(timer); }
    timer = setTimeout(apply, 150);
  }

  function setOpen(open) {
    blocks.forEach(function (b) { if (!b.hidden) { b.open = open; } });
  }

  verdict.addEventListener("change", apply);
  rule.addEventListener("change", apply);
  text.addEventListener("input", later);
  byId("expand-all").addEventListener("click", function () { setOpen(true); });
  byId("collapse-all").addEventListener("click", function () { setOpen(false); });
  // Following a link to a VM or rule opens it.
  window.addEventListener("hashchange", function () {
    var target = byId(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === "DETAILS") { target.open = true; }
  });
})();
