// The dashboard's only script (CSP: no inline JS). Progressive enhancement: every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // Facet selects on the search page submit the form when changed.
  for (const select of document.querySelectorAll("select.autosubmit")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // "/" focuses the search box, unless the user is typing somewhere.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "/" && !(target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement)) {
      const box = document.getElementById("quick-q");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });
});
