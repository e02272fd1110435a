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
