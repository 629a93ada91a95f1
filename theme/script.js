/* notesite: theme, drawer, search keys and loader, copy buttons, screenshot lightbox, TOC highlight. No deps. */
(() => {
  const d = document, html = d.documentElement, cl = html.classList;
  const $ = (id) => d.getElementById(id);
  const each = (sel, fn) => d.querySelectorAll(sel).forEach(fn);

  // Theme: data-theme on <html> overrides prefers-color-scheme.
  const tb = $('theme-toggle');
  const dark = () => {
    const t = html.getAttribute('data-theme');
    return t ? t === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  };
  if (tb) {
    tb.setAttribute('aria-pressed', dark());
    tb.addEventListener('click', () => {
      const t = dark() ? 'light' : 'dark';
      html.setAttribute('data-theme', t);
      try { localStorage.setItem('notesite-theme', t); } catch (e) { }
      tb.setAttribute('aria-pressed', t === 'dark');
    });
  }

  // Sidebar drawer (narrow screens).
  const nb = $('nav-toggle'), side = $('sidebar');
  const nav = (open, back) => {
    cl.toggle('nav-open', open);
    nb.setAttribute('aria-expanded', open);
    const a = side.querySelector('[aria-current="page"]') || side.querySelector('a');
    if (open && a) a.focus(); else if (back) nb.focus();
  };
  if (nb && side) {
    nb.addEventListener('click', () => nav(!cl.contains('nav-open')));
    d.addEventListener('click', (e) => {
      if (cl.contains('nav-open') && !side.contains(e.target) && !nb.contains(e.target)) nav(false);
    });
    const cur = side.querySelector('[aria-current="page"]');
    if (cur && side.scrollHeight > side.clientHeight) side.scrollTop = cur.offsetTop - side.clientHeight / 3;
  }

  // Esc closes the drawer; "/" and Ctrl/Cmd+K focus search.
  const q = $('search-input');
  d.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && cl.contains('nav-open')) return nav(false, true);
    if (!q || e.defaultPrevented || e.altKey) return;
    const t = e.target, mod = e.ctrlKey || e.metaKey,
      typing = t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName);
    if ((e.key === '/' && !mod && !typing) || (mod && e.key.toLowerCase() === 'k' && t !== q)) {
      e.preventDefault(); q.focus(); q.select();
    }
  });

  // Search: the engine (assets/search.*.js) loads on first use, or at once on the search page and
  // on pages opened from a result (?h= highlights the matched words).
  const sf = q && q.form;
  if (sf && sf.dataset.js) {
    let loaded = false;
    const load = () => {
      if (loaded) return;
      loaded = true;
      const s = d.createElement('script');
      s.src = sf.dataset.js;
      d.head.append(s);
    };
    q.addEventListener('focus', load);
    if (/[?&]h=/.test(location.search) || $('search-results')) load();
  }

  // Copy buttons: Clipboard API, else execCommand (file://).
  const legacy = (text) => {
    const ta = d.createElement('textarea');
    let ok = false;
    ta.value = text; ta.style.cssText = 'position:fixed;opacity:0';
    d.body.append(ta); ta.select();
    try { ok = d.execCommand('copy'); } catch (e) { }
    ta.remove();
    return ok;
  };
  const copy = (text, done) => {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        return navigator.clipboard.writeText(text).then(() => done(true), () => done(legacy(text)));
      }
    } catch (e) { }
    done(legacy(text));
  };
  each('pre.code', (pre) => {
    const w = d.createElement('div'), b = d.createElement('button');
    let timer;
    w.className = 'code-wrap';
    if (pre.dataset.lang) w.dataset.lang = pre.dataset.lang;
    pre.before(w); w.append(pre, b);
    b.type = 'button'; b.className = 'copy-btn'; b.textContent = 'Copy';
    b.setAttribute('aria-live', 'polite');
    b.addEventListener('click', () => {
      copy((pre.querySelector('code') || pre).innerText.replace(/\n$/, ''), (ok) => {
        b.textContent = ok ? 'Copied' : 'Copy failed';
        b.classList.add('is-done');
        clearTimeout(timer);
        timer = setTimeout(() => { b.textContent = 'Copy'; b.classList.remove('is-done'); }, 1600);
      });
    });
  });

  // Lightbox: a screenshot link opens the full image in a modal <dialog> (Esc closes, arrows step
  // through the note's screenshots, Tab stays inside). Without JS the link opens the image itself.
  const shots = [...d.querySelectorAll('.content a.image-link')];
  if (shots.length && window.HTMLDialogElement) {
    const named = /\.(png|jpe?g|gif|webp|svg|bmp|avif)$/i;
    const caption = (img) => {
      const t = (img && (img.getAttribute('title') || img.getAttribute('alt')) || '').trim();
      return named.test(t) ? '' : t;
    };
    const box = d.createElement('dialog');
    box.className = 'lightbox';
    box.setAttribute('aria-label', 'Screenshot viewer');
    box.innerHTML = '<figure><img alt=""><figcaption></figcaption></figure>' +
      '<p class="lightbox-count" aria-live="polite"></p>' +
      '<button type="button" class="lightbox-prev" aria-label="Previous screenshot">‹</button>' +
      '<button type="button" class="lightbox-next" aria-label="Next screenshot">›</button>' +
      '<button type="button" class="lightbox-close" aria-label="Close">×</button>';
    d.body.append(box);
    const big = box.querySelector('img'), cap = box.querySelector('figcaption'),
      count = box.querySelector('.lightbox-count'), closeBtn = box.querySelector('.lightbox-close');
    let at = 0;
    const show = (i) => {
      at = (i + shots.length) % shots.length;
      const a = shots[at], img = a.querySelector('img');
      big.src = a.href;
      big.alt = img ? img.alt : '';
      cap.textContent = caption(img);
      cap.hidden = !cap.textContent;
      count.textContent = shots.length > 1 ? (at + 1) + ' / ' + shots.length : '';
      box.classList.toggle('is-single', shots.length < 2);
    };
    shots.forEach((a, i) => a.addEventListener('click', (e) => {
      if (e.button || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      show(i);
      if (!box.open) box.showModal();
      closeBtn.focus();
    }));
    box.querySelector('.lightbox-prev').addEventListener('click', () => show(at - 1));
    box.querySelector('.lightbox-next').addEventListener('click', () => show(at + 1));
    closeBtn.addEventListener('click', () => box.close());
    // A click on the backdrop (the dialog itself, not its content) closes it.
    box.addEventListener('click', (e) => { if (e.target === box) box.close(); });
    box.addEventListener('close', () => { big.removeAttribute('src'); shots[at].focus(); });
    box.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight') { e.preventDefault(); show(at + 1); }
      else if (e.key === 'ArrowLeft') { e.preventDefault(); show(at - 1); }
      else if (e.key === 'Tab') {
        const f = [...box.querySelectorAll('button')].filter((b) => b.offsetParent);
        const i = f.indexOf(d.activeElement), n = f.length;
        e.preventDefault();
        f[((i < 0 ? 0 : i + (e.shiftKey ? -1 : 1)) + n) % n].focus();
      }
    });
  }

  // Highlight the TOC entry being read.
  if (!window.IntersectionObserver) return;
  const map = {};
  let on;
  const io = new IntersectionObserver((es) => es.forEach((e) => {
    const a = e.isIntersecting && map[e.target.id];
    if (a) { if (on) on.classList.remove('is-active'); (on = a).classList.add('is-active'); }
  }), { rootMargin: '0px 0px -70% 0px' });
  each('.toc-side a[href^="#"]', (a) => {
    const h = $(decodeURIComponent(a.hash.slice(1)));
    if (h) { map[h.id] = a; io.observe(h); }
  });
})();
