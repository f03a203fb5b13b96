/* The emulator's stand-in for https://cdn.plaid.com/link/v2/stable/link-initialize.js.
 *
 * Same API as Plaid's: Plaid.create({token, onSuccess, onExit, onEvent, onLoad}) returns a handler with
 * open(), exit() and destroy(). open() lays an iframe onto the emulator's Link UI over the page; the UI
 * talks back with postMessage, and only messages from that iframe and the emulator's origin are heard.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var scriptUrl = new URL(script ? script.src : "/link/v2/stable/link-initialize.js", window.location.href);
  var linkOrigin = scriptUrl.origin;
  var basePath = scriptUrl.pathname.replace(/\/link\/v2\/stable\/link-initialize\.js$/, "");
  var SOURCE = "plaid-emulator-link";
  var counter = 0;

  function create(config) {
    if (!config || typeof config.token !== "string" || !config.token) {
      throw new Error("Plaid.create needs a link token: Plaid.create({token: ...})");
    }
    var frame = null;
    var listener = null;

    function cleanup() {
      if (listener) {
        window.removeEventListener("message", listener);
        listener = null;
      }
      if (frame && frame.parentNode) {
        frame.parentNode.removeChild(frame);
      }
      frame = null;
    }

    function call(name) {
      var fn = config[name];
      if (typeof fn === "function") {
        fn.apply(null, Array.prototype.slice.call(arguments, 1));
      }
    }

    var handler = {
      open: function () {
        if (frame) {
          return;
        }
        counter += 1;
        var query = new URLSearchParams({ token: config.token, origin: window.location.origin });
        frame = document.createElement("iframe");
        frame.id = "plaid-link-iframe-" + counter;
        frame.title = "Plaid Link";
        frame.src = linkOrigin + basePath + "/link/ui?" + query.toString();
        frame.setAttribute("allow", "clipboard-write");
        frame.style.cssText =
          "position:fixed;top:0;left:0;width:100%;height:100%;border:0;margin:0;padding:0;" +
          "z-index:2147483647;background:rgba(0,0,0,0.45);";
        listener = function (event) {
          if (!frame || event.origin !== linkOrigin || event.source !== frame.contentWindow) {
            return;
          }
          var message = event.data || {};
          if (message.source !== SOURCE) {
            return;
          }
          if (message.type === "event") {
            call("onEvent", message.eventName, message.metadata || {});
          } else if (message.type === "success") {
            cleanup();
            call("onSuccess", message.public_token, message.metadata || {});
          } else if (message.type === "exit") {
            cleanup();
            call("onExit", message.error || null, message.metadata || {});
          }
        };
        window.addEventListener("message", listener);
        document.body.appendChild(frame);
      },
      exit: function (options) {
        if (!frame) {
          return;
        }
        if (options && options.force) {
          cleanup();
          call("onExit", null, { status: null, institution: null, link_session_id: null, request_id: null });
          return;
        }
        frame.contentWindow.postMessage({ source: SOURCE, type: "exit" }, linkOrigin);
      },
      submit: function () {},
      destroy: function () {
        cleanup();
      },
    };
    window.setTimeout(function () {
      call("onLoad");
    }, 0);
    return handler;
  }

  window.Plaid = { create: create, version: "emulator" };
})();
