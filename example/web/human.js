// The human check of captcha.kind on the demo page, beside app.js: for "image" it does
// nothing (app.js shows the digit image); for "altcha" it shows the ALTCHA widget (npm
// altcha 3.2.2, vendored under /demo/altcha/ with its MIT licence, so the page works
// offline); for "turnstile", "hcaptcha" and "recaptcha" it loads the provider's widget
// with the configured site key. app.js asks it for the proof to send, and to reset after
// each send (a proof is spent by the attempt, whatever its outcome).
'use strict';

window.ginsmsHuman = (() => {
  let conf = null;
  let box = null;
  let widgetId;

  const providers = {
    turnstile: { src: 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit', global: 'turnstile' },
    hcaptcha: { src: 'https://js.hcaptcha.com/1/api.js?render=explicit', global: 'hcaptcha' },
    recaptcha: { src: 'https://www.google.com/recaptcha/api.js?render=explicit', global: 'grecaptcha' },
  };

  function load(src, module) {
    const s = document.createElement('script');
    if (module) s.type = 'module';
    s.src = src;
    s.async = true;
    document.head.appendChild(s);
    return new Promise((resolve, reject) => { s.onload = resolve; s.onerror = reject; });
  }

  // start shows the widget of conf.captcha_kind in the element #human (app.js hides the
  // image field then).
  async function start(c) {
    conf = c;
    box = document.getElementById('human');
    if (!active()) return;
    box.hidden = false;
    if (conf.captcha_kind === 'altcha') {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = '/demo/altcha/altcha.css';
      document.head.appendChild(css);
      await load('/demo/altcha/altcha.js', true);
      // The "external" build ships no worker: the SHA-256 one is served beside it.
      globalThis.$altcha.algorithms.set('SHA-256', () => new Worker('/demo/altcha/sha.js'));
      const w = document.createElement('altcha-widget');
      w.setAttribute('challenge', `${conf.prefix}/altcha_challenges`);
      w.setAttribute('name', 'altcha');
      box.appendChild(w);
      return;
    }
    const p = providers[conf.captcha_kind];
    if (!p) return;
    await load(p.src, false);
    const g = window[p.global];
    const render = () => { widgetId = g.render(box, { sitekey: conf.site_key }); };
    if (g.ready) g.ready(render); else render();
  }

  function active() { return !!conf && conf.captcha_kind && conf.captcha_kind !== 'image'; }

  // proof returns the request fields that carry the proof ({altcha: ...} or the
  // provider's token field), or null when the user has not passed the check yet.
  function proof() {
    const form = document.getElementById('signup');
    const data = new FormData(form);
    for (const f of conf.proof_fields || []) {
      const v = data.get(f);
      if (v) return { [f]: v };
    }
    return null;
  }

  function reset() {
    if (conf.captcha_kind === 'altcha') {
      const w = box.querySelector('altcha-widget');
      if (w && w.reset) w.reset();
      return;
    }
    const p = providers[conf.captcha_kind];
    const g = p && window[p.global];
    if (g && g.reset) g.reset(widgetId);
  }

  return { start, active, proof, reset };
})();
