/* papercast serve: keyboard, live progress and chapter seeking. Everything here is a
   shortcut: each page also works with JavaScript off (forms post, pages reload). */
(function () {
  "use strict";

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("li.cand, li.hit"));
  }

  var currentId = null;

  function current() {
    var list = items();
    for (var i = 0; i < list.length; i++) {
      if (list[i].dataset.paperId === currentId) return list[i];
    }
    return null;
  }

  function select(el) {
    var old = document.querySelector(".current");
    if (old) old.classList.remove("current");
    if (!el) return;
    el.classList.add("current");
    currentId = el.dataset.paperId;
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = items();
    if (!list.length) return;
    var index = list.indexOf(current());
    var next = index < 0 ? 0 : Math.min(list.length - 1, Math.max(0, index + step));
    select(list[next]);
    if (step > 0 && next === list.length - 1) {
      var more = document.querySelector("#pager a.more");
      if (more) more.click(); // load the next page as the reader reaches the end
    }
  }

  function press(selector) {
    var el = current();
    if (!el) return;
    var button = el.querySelector(selector);
    if (button) button.click();
  }

  function toggleAbstract() {
    var el = current();
    var details = el && el.querySelector("details");
    if (details) details.open = !details.open;
  }

  function keysDialog() {
    var dialog = document.getElementById("keys-dialog");
    if (!dialog || !dialog.showModal) {
      window.location.href = "/keys";
      return;
    }
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var onItem = event.target && event.target.classList && (event.target.classList.contains("cand") || event.target.classList.contains("hit"));
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": press("button.pick"); break;
      case "o": toggleAbstract(); break;
      case "Enter":
        if (!onItem) return; // Enter on a link or button keeps its own meaning
        toggleAbstract();
        break;
      case "+": press("form.fb button.up"); break;
      case "-": press("form.fb button.down"); break;
      case "/":
        var box = document.getElementById("site-search");
        if (box) box.focus();
        break;
      case "?": keysDialog(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.keys-link");
    if (link) {
      event.preventDefault();
      keysDialog();
    }
    var chapter = event.target.closest && event.target.closest("a.chapter");
    var player = document.getElementById("player");
    if (chapter && player) {
      event.preventDefault();
      player.currentTime = parseFloat(chapter.dataset.start) || 0;
      player.play().catch(function () {});
    }
  });

  // After htmx redraws a row (a pick), keep the keyboard position on it.
  document.addEventListener("htmx:afterSettle", function () {
    var el = current();
    if (el) {
      el.classList.add("current");
      if (!document.activeElement || document.activeElement === document.body) el.focus({ preventScroll: true });
    }
  });

  // Live progress of a background run (server-sent events); the page reloads when it ends.
  function follow() {
    var section = document.getElementById("job");
    if (!section || section.dataset.status !== "running" || !window.EventSource) return;
    var source = new EventSource("/jobs/" + encodeURIComponent(section.dataset.job) + "/events");
    var log = document.getElementById("job-log");
    var state = document.getElementById("job-state");
    var progress = document.getElementById("job-progress");
    var shown = log ? log.children.length : 0;
    var received = 0;
    // the words come translated from the page (data-*-text), as [issue] language has them
    var lang = document.documentElement.lang || undefined;
    function fill(template, values) {
      return template.replace(/\{(\w+)\}/g, function (whole, name) {
        return name in values ? values[name] : whole;
      });
    }
    function number(n) {
      try { return Number(n).toLocaleString(lang); } catch (e) { return String(n); }
    }
    source.addEventListener("progress", function (event) {
      var data = JSON.parse(event.data);
      received += 1;
      if (progress) {
        progress.max = data.total;
        progress.value = data.done;
        progress.textContent = fill(section.dataset.progressText, { done: number(data.done), total: number(data.total) });
      }
      if (state) state.textContent = fill(section.dataset.workingText, { step: data.message });
      if (log && received > shown) {
        var item = document.createElement("li");
        item.textContent = data.message;
        log.appendChild(item);
      }
    });
    source.addEventListener("end", function () {
      source.close();
      window.location.reload();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", follow);
  else follow();
})();
