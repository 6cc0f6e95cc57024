// The ginsms demo sign-up page: captcha, send code, register, and the demo phone's inbox.
// Plain JavaScript, no dependencies. The server's configuration comes from GET /demo/config.
'use strict';

(() => {
  const TEXTS = {
    zh: {
      htmlLang: 'zh-CN',
      docTitle: '注册 · ginsms 演示',
      title: '注册账号',
      lead: '输入图中的数字获取短信验证码，再填写短信验证码完成注册。',
      leadHuman: '完成人机验证后获取短信验证码，再填写短信验证码完成注册。',
      username: '用户名',
      phone: '手机号',
      phonePlaceholder: '11 位手机号',
      imgcode: '图片验证码',
      imgcodePlaceholder: (n) => `图中的 ${n} 位数字`,
      refresh: '换一张图片验证码',
      captchaAlt: '图片验证码，点击换一张',
      listen: '听',
      listenLabel: '听语音验证码',
      captchaHint: '看不清？点击图片换一张，或点“听”收听语音。',
      smscode: '短信验证码',
      smscodePlaceholder: (n) => `${n} 位数字`,
      send: '获取验证码',
      resend: '重新获取',
      sending: '发送中…',
      countdown: (s) => `${s} 秒后重发`,
      sent: '验证码已发送，请查收短信。',
      register: '注册',
      registered: (p, u) => `注册成功！${u ? u + '，' : ''}手机号 ${p} 已验证。`,
      needPhone: '请输入手机号。',
      needImgcode: '请输入图片验证码。',
      needHuman: '请先完成人机验证。',
      needSmscode: '请输入短信验证码。',
      network: '网络错误，请稍后再试。',
      captchaFailed: '图片验证码加载失败，请点击图片重试。',
      audioFailed: '无法播放语音验证码。',
      demoTitle: '演示手机',
      demoHint: '演示模式：短信并没有真的发出。发给上面手机号的短信显示在这里。',
      inboxFor: (p) => `收件人 ${p}`,
      inboxNoPhone: '输入手机号后，这里显示发给它的短信。',
      inboxEmpty: '还没有收到短信。',
      sms: (code, ttl) => ['【ginsms 演示】您的验证码是 ', code, `，${ttl} 秒内有效，请勿告诉他人。`],
      use: '填入',
      useLabel: (c) => `把 ${c} 填入短信验证码`,
      footer: '演示页面，不创建真实账号',
      langButton: 'English',
      langButtonLang: 'en',
      errors: {},
    },
    en: {
      htmlLang: 'en',
      docTitle: 'Sign up · ginsms demo',
      title: 'Create an account',
      lead: 'Type the digits in the image to get a code by SMS, then enter that code to sign up.',
      leadHuman: 'Pass the human check to get a code by SMS, then enter that code to sign up.',
      username: 'Username',
      phone: 'Mobile number',
      phonePlaceholder: '11-digit mobile number',
      imgcode: 'Image code',
      imgcodePlaceholder: (n) => `The ${n} digits in the image`,
      refresh: 'New image code',
      captchaAlt: 'Image code; click for a new one',
      listen: 'Listen',
      listenLabel: 'Listen to the image code',
      captchaHint: 'Hard to read? Click the image for a new one, or press “Listen”.',
      smscode: 'SMS code',
      smscodePlaceholder: (n) => `${n} digits`,
      send: 'Send code',
      resend: 'Resend code',
      sending: 'Sending…',
      countdown: (s) => `Resend in ${s}s`,
      sent: 'Code sent. Check your messages.',
      register: 'Sign up',
      registered: (p, u) => `Signed up${u ? ' as ' + u : ''}! Mobile number ${p} is verified.`,
      needPhone: 'Enter your mobile number.',
      needImgcode: 'Enter the image code.',
      needHuman: 'Complete the human check first.',
      needSmscode: 'Enter the SMS code.',
      network: 'Network error. Try again later.',
      captchaFailed: 'The image code did not load. Click the image to retry.',
      audioFailed: 'The audio code could not be played.',
      demoTitle: 'Demo phone',
      demoHint: 'Demo mode: no SMS is really sent. Messages to the number above appear here.',
      inboxFor: (p) => `Messages to ${p}`,
      inboxNoPhone: 'Enter a mobile number to see the messages sent to it.',
      inboxEmpty: 'No messages yet.',
      sms: (code, ttl) => ['[ginsms demo] Your code is ', code, `. It is valid for ${ttl} seconds; do not share it.`],
      use: 'Use',
      useLabel: (c) => `Enter ${c} as the SMS code`,
      footer: 'Demo page; no real account is created',
      langButton: '中文',
      langButtonLang: 'zh-CN',
      // English for the contract's codes; in Chinese the server's errormsg is shown as is.
      errors: {
        4001: 'A required field is missing.',
        4002: 'The image code has expired. Try the new one.',
        4003: 'The image code does not match. Try the new one.',
        4004: 'Too many requests. Wait a moment before sending again.',
        4005: 'Check the mobile number and the codes.',
        4006: 'Wrong SMS code.',
        4007: 'The SMS code has expired or was already used. Get a new one.',
        4008: 'This number cannot receive codes now.',
        5001: 'The SMS could not be sent. Try again.',
        5002: 'The service is unavailable. Try again later.',
        5003: 'The human check is unavailable. Try again later.',
      },
    },
  };

  const LANG_KEY = 'ginsms-demo-lang';
  const $ = (id) => document.getElementById(id);
  const el = {
    username: $('username'), phone: $('phone'), imgcode: $('imgcode'), smscode: $('smscode'),
    captcha: $('captcha'), captchaBtn: $('captcha-btn'), listen: $('listen'),
    send: $('send'), status: $('status'), form: $('signup'), register: $('register'),
    lang: $('lang'), demo: $('demo'), inbox: $('inbox'), inboxFor: $('inbox-for'), inboxEmpty: $('inbox-empty'),
  };

  const state = {
    lang: 'zh',
    conf: { prefix: '', send_interval: 60, code_length: 6, captcha_length: 4, demo: false },
    status: null, // () => [text, kind]; re-run when the language changes
    countdownEnd: 0,
    countdownTimer: 0,
    sending: false,
    inbox: [],
    inboxJSON: '',
    inboxPhone: '',
    audio: null,
  };

  try {
    if (localStorage.getItem(LANG_KEY) === 'en') state.lang = 'en';
  } catch (_) { /* storage may be unavailable */ }

  const t = () => TEXTS[state.lang];
  const api = (path) => state.conf.prefix + path;

  // newUUID returns a random (version 4) UUID; crypto.randomUUID exists only in secure
  // contexts (https, localhost), so a phone opening http://192.168.x.y:8080 gets the fallback.
  function newUUID() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const cleanPhone = () => el.phone.value.replace(/[\s-]/g, '');

  // --- status line -------------------------------------------------------------------

  function setStatus(fn) {
    state.status = fn;
    renderStatus();
  }

  function renderStatus() {
    const [text, kind] = state.status ? state.status() : ['', ''];
    el.status.textContent = text;
    el.status.className = 'status' + (kind ? ' ' + kind : '');
  }

  // errorText is what the page shows for a contract answer that is not 200.
  function errorText(body) {
    if (state.lang !== 'zh' && t().errors[body.code]) return t().errors[body.code];
    return body.errormsg || t().network;
  }

  // call sends a request and returns [http response, contract JSON body or null].
  async function call(url, params) {
    const res = await fetch(url, { method: 'POST', body: new URLSearchParams(params), headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await res.json(); } catch (_) { /* not JSON: handled by the caller */ }
    if (!body || typeof body !== 'object') body = null;
    return [res, body];
  }

  // --- captcha -----------------------------------------------------------------------

  function newCaptcha() {
    const uuid = newUUID();
    el.captcha.dataset.uuid = uuid;
    el.captcha.src = api(`/image_codes/${uuid}`);
    el.imgcode.value = '';
  }

  el.captcha.addEventListener('error', () => setStatus(() => [t().captchaFailed, 'err']));
  el.captchaBtn.addEventListener('click', () => { newCaptcha(); el.imgcode.focus(); });

  el.listen.addEventListener('click', () => {
    const uuid = el.captcha.dataset.uuid;
    if (!uuid) return;
    if (state.audio) state.audio.pause();
    const lang = state.lang === 'zh' ? 'zh' : 'en';
    state.audio = new Audio(api(`/image_codes/${uuid}/audio?lang=${lang}`));
    state.audio.play().catch(() => setStatus(() => [t().audioFailed, 'err']));
  });

  // --- send code and countdown -------------------------------------------------------

  function renderSend() {
    const left = Math.ceil((state.countdownEnd - Date.now()) / 1000);
    if (state.sending) {
      el.send.textContent = t().sending;
      el.send.disabled = true;
      delete el.send.dataset.countdown;
    } else if (left > 0) {
      el.send.textContent = t().countdown(left);
      el.send.disabled = true;
      el.send.dataset.countdown = String(left);
    } else {
      el.send.textContent = state.countdownEnd ? t().resend : t().send;
      el.send.disabled = false;
      delete el.send.dataset.countdown;
      if (state.countdownTimer) {
        clearInterval(state.countdownTimer);
        state.countdownTimer = 0;
      }
    }
  }

  function startCountdown(seconds) {
    state.countdownEnd = Date.now() + seconds * 1000;
    if (!state.countdownTimer) state.countdownTimer = setInterval(renderSend, 250);
    renderSend();
  }

  el.send.addEventListener('click', async () => {
    const phone = cleanPhone();
    const imgcode = el.imgcode.value.trim();
    if (!phone) { setStatus(() => [t().needPhone, 'err']); el.phone.focus(); return; }
    const human = window.ginsmsHuman.active();
    const params = human ? window.ginsmsHuman.proof() : { imgcode, uuid: el.captcha.dataset.uuid };
    if (human && !params) { setStatus(() => [t().needHuman, 'err']); return; }
    if (!human && !imgcode) { setStatus(() => [t().needImgcode, 'err']); el.imgcode.focus(); return; }
    state.sending = true;
    renderSend();
    let res = null;
    let body = null;
    try {
      [res, body] = await call(api(`/sms_codes/${encodeURIComponent(phone)}`), params);
    } catch (_) { /* network error: below */ }
    state.sending = false;
    // The captcha was used up by this attempt (or may have been): always show a fresh one.
    if (human) window.ginsmsHuman.reset(); else newCaptcha();
    if (!body) {
      setStatus(() => [t().network, 'err']);
      renderSend();
      return;
    }
    if (body.code === 200) {
      setStatus(() => [t().sent, 'ok']);
      startCountdown(state.conf.send_interval);
      el.smscode.focus();
      refreshInbox();
      return;
    }
    setStatus(() => [errorText(body), 'err']);
    const retry = parseInt(res.headers.get('Retry-After') || '', 10);
    if (body.code === 4004) {
      startCountdown(retry > 0 ? retry : state.conf.send_interval);
    } else {
      renderSend();
      if (body.code === 4002 || body.code === 4003) el.imgcode.focus();
    }
  });

  // --- register ----------------------------------------------------------------------

  el.form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const phone = cleanPhone();
    const code = el.smscode.value.trim();
    if (!phone) { setStatus(() => [t().needPhone, 'err']); el.phone.focus(); return; }
    if (!code) { setStatus(() => [t().needSmscode, 'err']); el.smscode.focus(); return; }
    el.register.disabled = true;
    let res = null;
    let body = null;
    try {
      [res, body] = await call(api('/register'), { phone, sms_code: code, username: el.username.value.trim() });
    } catch (_) { /* network error: below */ }
    el.register.disabled = false;
    if (!body) {
      setStatus(() => [t().network, 'err']);
    } else if (res.ok && body.registered) {
      setStatus(() => [t().registered(body.registered, body.username), 'ok']);
      el.smscode.value = '';
    } else {
      setStatus(() => [errorText(body), 'err']);
    }
  });

  // --- demo phone ----------------------------------------------------------------------

  async function refreshInbox() {
    if (!state.conf.demo) return;
    const phone = cleanPhone();
    if (!phone || phone.length > 32) {
      state.inboxPhone = '';
      state.inbox = [];
      state.inboxJSON = '';
      renderInbox();
      return;
    }
    try {
      const res = await fetch(`/demo/messages?phone=${encodeURIComponent(phone)}`, { headers: { Accept: 'application/json' } });
      if (!res.ok) return;
      const text = await res.text();
      if (phone !== cleanPhone() || (text === state.inboxJSON && phone === state.inboxPhone)) return;
      state.inboxPhone = phone;
      state.inboxJSON = text;
      state.inbox = JSON.parse(text);
      renderInbox();
    } catch (_) { /* try again at the next tick */ }
  }

  function renderInbox() {
    el.inbox.replaceChildren(...state.inbox.map((m) => {
      const li = document.createElement('li');
      li.className = 'sms';
      const meta = document.createElement('div');
      meta.className = 'sms-meta';
      const from = document.createElement('span');
      from.textContent = 'ginsms';
      const time = document.createElement('time');
      time.dateTime = m.at;
      time.textContent = new Date(m.at).toLocaleTimeString(t().htmlLang);
      meta.append(from, time);
      const p = document.createElement('p');
      p.className = 'sms-text';
      const [before, code, after] = t().sms(m.code, m.ttl_seconds);
      const strong = document.createElement('strong');
      strong.className = 'code';
      strong.textContent = code;
      p.append(before, strong, after);
      const use = document.createElement('button');
      use.type = 'button';
      use.className = 'link use';
      use.textContent = t().use;
      use.setAttribute('aria-label', t().useLabel(m.code));
      use.addEventListener('click', () => { el.smscode.value = m.code; el.smscode.focus(); });
      li.append(meta, p, use);
      return li;
    }));
    el.inboxFor.textContent = state.inboxPhone ? t().inboxFor(state.inboxPhone) : '';
    el.inboxEmpty.textContent = !state.inboxPhone ? t().inboxNoPhone : (state.inbox.length ? '' : t().inboxEmpty);
    el.inboxEmpty.hidden = el.inboxEmpty.textContent === '';
  }

  let phoneTimer = 0;
  el.phone.addEventListener('input', () => {
    clearTimeout(phoneTimer);
    phoneTimer = setTimeout(refreshInbox, 300);
  });

  // --- language ----------------------------------------------------------------------

  function applyLanguage() {
    const tx = t();
    document.documentElement.lang = tx.htmlLang;
    document.title = tx.docTitle;
    document.querySelectorAll('[data-i18n]').forEach((n) => { n.textContent = tx[n.dataset.i18n]; });
    if (state.conf.captcha_kind && state.conf.captcha_kind !== 'image') document.querySelector('.lead').textContent = tx.leadHuman;
    document.querySelectorAll('[data-i18n-aria]').forEach((n) => n.setAttribute('aria-label', tx[n.dataset.i18nAria]));
    document.querySelectorAll('[data-i18n-alt]').forEach((n) => { n.alt = tx[n.dataset.i18nAlt]; });
    el.phone.placeholder = tx.phonePlaceholder;
    el.imgcode.placeholder = tx.imgcodePlaceholder(state.conf.captcha_length);
    el.smscode.placeholder = tx.smscodePlaceholder(state.conf.code_length);
    el.lang.textContent = tx.langButton;
    el.lang.lang = tx.langButtonLang;
    renderSend();
    renderStatus();
    renderInbox();
  }

  el.lang.addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    try { localStorage.setItem(LANG_KEY, state.lang); } catch (_) { /* ignore */ }
    applyLanguage();
  });

  // --- start -------------------------------------------------------------------------

  async function start() {
    try {
      const res = await fetch('/demo/config', { headers: { Accept: 'application/json' } });
      if (res.ok) Object.assign(state.conf, await res.json());
    } catch (_) { /* defaults */ }
    el.smscode.maxLength = state.conf.code_length;
    el.demo.hidden = !state.conf.demo;
    applyLanguage();
    if (state.conf.captcha_kind && state.conf.captcha_kind !== 'image') {
      el.imgcode.closest('.field').hidden = true;
      window.ginsmsHuman.start(state.conf);
    } else {
      newCaptcha();
    }
    if (state.conf.demo) {
      setInterval(() => { if (!document.hidden) refreshInbox(); }, 2000);
      refreshInbox();
    }
    document.body.dataset.ready = 'true';
  }

  start();
})();
