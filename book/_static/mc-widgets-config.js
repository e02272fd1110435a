// Tell require.js where the site keeps the widget modules, so that nothing is fetched from a CDN:
// - anywidget, which the ipywidgets HTML manager would otherwise load from jsdelivr;
// - the HTML manager's own module ids, whose URL the manager uses to find its fonts (webpack public path).
// Paths are made absolute from this script's own address, so pages at any depth of the site resolve them alike.
(function () {
  var here = document.currentScript.src;
  var offline = here.substring(0, here.lastIndexOf("/") + 1) + "offline/";
  window.require.config({
    paths: {
      anywidget: offline + "anywidget/index",
      "@jupyter-widgets/html-manager/dist": offline + "html-manager",
    },
  });
})();

// The standard ipywidgets controls typeset their labels with MathJax 2's `MathJax.Hub.Queue`; the book loads
// MathJax 3, which has no `Hub`, so every labelled control threw "Cannot read properties of undefined (reading
// 'Queue')" and none rendered. MathJax 3 replaces `window.MathJax` when it loads (a deferred script, run before
// DOMContentLoaded), and the widget manager renders after DOMContentLoaded, so the stand-in is added then: it hands
// the element to MathJax 3's `typesetPromise`.
document.addEventListener("DOMContentLoaded", function () {
  var mathjax = window.MathJax;
  if (mathjax === undefined || mathjax.Hub !== undefined) {
    return;
  }
  mathjax.Hub = {
    Queue: function (job) {
      var element = job[2];
      if (window.MathJax.typesetPromise) {
        window.MathJax.typesetPromise([element]).catch(function (error) {
          console.warn("MathJax could not typeset a widget label", error);
        });
      }
    },
  };
});
