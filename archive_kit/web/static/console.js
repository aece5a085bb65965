// archive-kit 档案审核台: plain JavaScript, no build step, nothing from the network.
// Every value from the repository reaches the page as text (textContent), never as HTML.
"use strict";

const body = document.body;
const READ_ONLY = body.dataset.readOnly === "1";

// ------------------------------------------------------------------ helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// replaceChildren / append that leave out absent parts (null, undefined, false) instead of printing them
function put(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}
function add(node, ...children) {
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

class ApiError extends Error {
  constructor(status, data) {
    super((data && (data.message || data.error || data.title)) || `请求失败（${status}）`);
    this.status = status;
    this.data = data || {};
  }
  get text() {
    const title = this.data.title ? `${this.data.title}：` : "";
    return `${title}${this.data.message || this.data.error || this.message}`;
  }
}

async function api(method, url, payload, extraHeaders) {
  const headers = {"Accept": "application/json", ...(extraHeaders || {})};
  const init = {method, headers, credentials: "same-origin"};
  if (method !== "GET") headers["X-CSRF-Token"] = document.querySelector('meta[name="csrf-token"]').content;
  if (payload !== undefined) {
    if (payload instanceof Blob) init.body = payload;
    else { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(payload); }
  }
  const response = await fetch(url, init);
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  return q.toString();
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function show(node, message, kind) {
  node.textContent = message;
  node.classList.toggle("error", kind === "error");
  node.classList.toggle("ok", kind === "ok");
}

const SOURCE_NAMES = {cli: "命令行", manifest: "清单", path: "文件夹", content: "内容识别", manual: "人工"};
const RETENTION = {Y: "永久", D30: "30年", D10: "10年"};
// a photo's fields (DA/T 50-2014), as `edit --place/--people/--photographer/--background` takes them
const PHOTO_FIELDS = [["place", "地点"], ["people", "人物"], ["photographer", "摄影者"], ["background", "背景/事由"]];

let tracksPromise = null;
function loadTracks() {
  if (!tracksPromise) tracksPromise = api("GET", "/api/tracks").then((d) => d.tracks);
  return tracksPromise;
}

function fillTracks(select, tracks, selected, allLabel) {
  select.replaceChildren();
  if (allLabel !== null) select.append(el("option", {value: ""}, allLabel));
  for (const t of tracks) select.append(el("option", {value: t.id, selected: t.id === selected}, t.name));
}

function fillCriteria(select, tracks, trackId, selected, allLabel) {
  select.replaceChildren(el("option", {value: ""}, allLabel));
  const track = tracks.find((t) => t.id === trackId);
  select.disabled = !track;
  if (!track) return;
  for (const c of track.criteria) {
    const indent = "\u3000".repeat(c.depth - 1);
    const flag = c.required ? "（必备）" : "";
    select.append(el("option", {value: c.code, selected: c.code === selected}, `${indent}${c.code} ${c.name}${flag}`));
  }
}

async function fillYears(select, track, selected, allLabel) {
  const data = await api("GET", "/api/years?" + query({track}));
  const years = data.years.length ? data.years : [new Date().getFullYear()];
  select.replaceChildren();
  if (allLabel !== null) select.append(el("option", {value: ""}, allLabel));
  for (const y of years.slice().reverse()) select.append(el("option", {value: y, selected: String(y) === String(selected)}, `${y} 年`));
}

function markedSnippet(parts) {
  return parts.map(([text, hit]) => (hit ? el("mark", {}, text) : document.createTextNode(text)));
}

function filenameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const star = header.match(/filename\*=UTF-8''([^;]+)/i);
  if (star) return decodeURIComponent(star[1]);
  const plain = header.match(/filename="([^"]+)"/i);
  return plain ? plain[1] : fallback;
}

async function downloadFile(url, statusNode) {
  const response = await fetch(url, {credentials: "same-origin"});
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    throw new ApiError(response.status, data);
  }
  const blob = await response.blob();
  const name = filenameOf(response, "download");
  const link = el("a", {href: URL.createObjectURL(blob), download: name});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  if (statusNode) show(statusNode, `已下载：${name}`, "ok");
}

async function pollJob(job, onProgress) {
  for (;;) {
    const state = await api("GET", `/api/jobs/${job.id}`);
    onProgress(state);
    if (state.state === "done" || state.state === "failed") return state;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

// A PATCH of a document's fields; a numbered document asks for confirmation first (as --force).
async function patchDocument(record, fields) {
  let force = false;
  if (record.item_number !== null && record.item_number !== undefined) {
    const ok = window.confirm(`该文件已编号（档号 ${record.archival_code || ""}）。修改会记入日志，档号不变。确定修改吗？`);
    if (!ok) return null;
    force = true;
  }
  try {
    return await api("PATCH", `/api/documents/${record.id}`, {...fields, force});
  } catch (error) {
    if (error.status === 409 && !force && window.confirm(`${error.text}\n仍要修改吗？`)) {
      return api("PATCH", `/api/documents/${record.id}`, {...fields, force: true});
    }
    throw error;
  }
}

// Track / criterion / year of a document, editable in place (hidden in read-only mode).
function tagEditor(record, tracks, onSaved) {
  const track = el("select", {"aria-label": "创建类别", class: "tag-track"});
  fillTracks(track, tracks, record.track, "（未定）");
  const criterion = el("select", {"aria-label": "测评指标", class: "tag-criterion"});
  fillCriteria(criterion, tracks, record.track, record.criterion, "（未定）");
  track.addEventListener("change", () => fillCriteria(criterion, tracks, track.value, null, "（未定）"));
  const year = el("input", {type: "number", min: 1949, max: 2100, value: record.year || "", "aria-label": "年度", class: "tag-year"});
  const status = el("span", {class: "status"});
  const save = el("button", {type: "button", class: "primary tag-save"}, "保存分类");
  save.addEventListener("click", async () => {
    const fields = {};
    if (track.value && track.value !== record.track) fields.track = track.value;
    if (criterion.value && (criterion.value !== record.criterion || fields.track)) fields.criterion = criterion.value;
    if (year.value && Number(year.value) !== record.year) fields.year = Number(year.value);
    if (!Object.keys(fields).length) { show(status, "没有改动"); return; }
    save.disabled = true;
    try {
      const updated = await patchDocument(record, fields);
      if (updated) { show(status, "已保存", "ok"); onSaved(updated); }
    } catch (error) {
      show(status, error.text, "error");
    } finally {
      save.disabled = false;
    }
  });
  // Tags content only proposed: one click makes them the archivist's decision as they stand (tag --confirm).
  let confirm = null;
  if (record.proposed && Object.keys(record.proposed).length) {
    confirm = el("button", {type: "button", class: "tag-confirm"}, "确认建议分类");
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      try {
        const updated = await patchDocument(record, {confirm: true});
        if (updated) { show(status, "已确认", "ok"); onSaved(updated); }
      } catch (error) {
        show(status, error.text, "error");
      } finally {
        confirm.disabled = false;
      }
    });
  }
  return el("div", {class: "tag-editor"}, el("label", {}, "类别 ", track), el("label", {}, "指标 ", criterion),
    el("label", {}, "年度 ", year), save, confirm, status);
}

// ------------------------------------------------------------------ 检索

async function initSearch() {
  const input = document.getElementById("q");
  const trackSel = document.getElementById("f-track");
  const critSel = document.getElementById("f-criterion");
  const yearSel = document.getElementById("f-year");
  const status = document.getElementById("status");
  const list = document.getElementById("results");
  const params = new URLSearchParams(location.search);
  if (params.get("q") && !input.value) input.value = params.get("q");
  let tracks = [];
  let selected = -1;
  let sequence = 0;
  let controller = null;

  function select(index) {
    const items = list.querySelectorAll("li.hit");
    if (!items.length) { selected = -1; return; }
    selected = Math.max(0, Math.min(index, items.length - 1));
    items.forEach((item, i) => item.classList.toggle("selected", i === selected));
    items[selected].scrollIntoView({block: "nearest"});
  }

  function state() {
    return {q: input.value.trim(), track: trackSel.value, criterion: critSel.value, year: yearSel.value};
  }

  async function run() {
    const s = state();
    history.replaceState(null, "", "/?" + query(s));
    const mine = ++sequence;
    if (controller) controller.abort();
    if (!s.q) {
      list.replaceChildren();
      show(status, "输入关键词即开始检索。↑/↓ 选择结果，回车打开。");
      return;
    }
    controller = new AbortController();
    let data;
    try {
      const response = await fetch("/api/search/view?" + query({...s, limit: 50}),
        {headers: {Accept: "application/json"}, signal: controller.signal, credentials: "same-origin"});
      data = await response.json();
      if (!response.ok) throw new ApiError(response.status, data);
    } catch (error) {
      if (error.name === "AbortError" || mine !== sequence) return;
      list.replaceChildren();
      show(status, error instanceof ApiError ? error.text : "检索失败", "error");
      return;
    }
    if (mine !== sequence) return;
    const result = data.search;
    list.replaceChildren(...result.hits.map((hit) => {
      const extra = data.shown[String(hit.id)] || {};
      const href = `/documents/${hit.id}?` + query({q: s.q});
      const meta = [extra.archival_code || "未编号", extra.date || "无日期",
        extra.criterion_label ? `${extra.track_name || ""} ${extra.criterion_label}` : (extra.track_name || "未归入指标"),
        extra.pages ? `${extra.pages} 页` : null].filter(Boolean);
      return el("li", {class: "hit", dataset: {id: hit.id}},
        el("a", {href, class: "hit-title"}, hit.title || `文件 ${hit.id}`),
        el("div", {class: "hit-meta"}, meta.map((m) => el("span", {}, m))),
        el("div", {class: "snippet"}, markedSnippet(extra.parts || [[hit.snippet, false]])));
    }));
    selected = -1;
    const more = result.total > result.hits.length ? `，显示前 ${result.hits.length} 件` : "";
    show(status, result.total ? `共 ${result.total} 件${more}。↑/↓ 选择，回车打开。` : "没有找到包含这些词的文件。");
  }

  // listening starts before the filters are loaded, so nothing typed meanwhile is lost
  const later = debounce(run, 200);
  input.addEventListener("input", later);
  trackSel.addEventListener("change", () => { fillCriteria(critSel, tracks, trackSel.value, null, "全部指标"); run(); });
  critSel.addEventListener("change", run);
  yearSel.addEventListener("change", run);
  document.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); select(selected + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); select(selected - 1); }
    else if (event.key === "Enter" && (event.target === input || event.target === document.body)) {
      const items = list.querySelectorAll("li.hit");
      const item = items[selected >= 0 ? selected : 0];
      if (item) { event.preventDefault(); location.href = item.querySelector("a").href; }
    }
  });
  tracks = await loadTracks();
  fillTracks(trackSel, tracks, params.get("track"), "全部类别");
  fillCriteria(critSel, tracks, params.get("track"), params.get("criterion"), "全部指标");
  await fillYears(yearSel, null, params.get("year"), "全部年度");
  if (input.value) run();
}

// ------------------------------------------------------------------ 文件

async function initDocument() {
  const root = document.getElementById("docpage");
  const docId = root.dataset.docId;
  const queryInput = document.getElementById("doc-q");
  const pagesBox = document.getElementById("pages");
  const count = document.getElementById("hit-count");
  let marks = [];
  let current = -1;
  let pageNodes = [];

  function buildPages(view) {
    pageNodes = [];
    pagesBox.replaceChildren();
    view.sizes.forEach(([w, h], i) => {
      const frame = el("div", {class: "page", dataset: {page: i + 1}});
      frame.style.aspectRatio = `${w} / ${h}`;
      const img = el("img", {src: `/api/documents/${docId}/pages/${i + 1}.png`, alt: `第 ${i + 1} 页`,
        loading: i < 2 ? "eager" : "lazy", class: "page-image"});
      img.addEventListener("error", () => frame.append(el("p", {class: "page-error"}, `第 ${i + 1} 页无法显示`)));
      frame.append(img, el("span", {class: "page-number"}, `${i + 1} / ${view.pages}`));
      pagesBox.append(frame);
      pageNodes.push(frame);
    });
  }

  function placeMarks(view) {
    pagesBox.querySelectorAll(".hit-mark").forEach((m) => m.remove());
    marks = [];
    for (const hit of view.hits) {
      const frame = pageNodes[hit.page - 1];
      if (!frame) continue;
      const sorted = hit.marks.slice().sort((a, b) => a.box[1] - b.box[1] || a.box[0] - b.box[0]);
      for (const mark of sorted) {
        const [x0, y0, x1, y1] = mark.box;
        const node = el("div", {class: `hit-mark term-${mark.term % 4}`, title: "检索词"});
        node.style.left = `${x0 * 100}%`;
        node.style.top = `${y0 * 100}%`;
        node.style.width = `${(x1 - x0) * 100}%`;
        node.style.height = `${(y1 - y0) * 100}%`;
        frame.append(node);
        marks.push(node);
      }
    }
    current = -1;
    count.textContent = view.query ? (marks.length ? `共 ${marks.length} 处` : "本文件页面上未找到该词") : "";
  }

  function jump(step) {
    if (!marks.length) return;
    if (current >= 0) marks[current].classList.remove("active");
    current = (current + step + marks.length) % marks.length;
    marks[current].classList.add("active");
    marks[current].scrollIntoView({block: "center"});
    count.textContent = `第 ${current + 1} / ${marks.length} 处`;
  }

  async function loadPages(first) {
    const q = queryInput.value.trim();
    history.replaceState(null, "", `/documents/${docId}` + (q ? "?" + query({q}) : ""));
    let view;
    try {
      view = await api("GET", `/api/documents/${docId}/pages?` + query({q}));
    } catch (error) {
      pagesBox.replaceChildren(el("p", {class: "error"}, error.text));
      return;
    }
    if (first) buildPages(view);
    placeMarks(view);
    if (first && marks.length) jump(1);
  }

  document.getElementById("hit-next").addEventListener("click", () => jump(1));
  document.getElementById("hit-prev").addEventListener("click", () => jump(-1));
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
    if (event.key === "j" || event.key === "n") jump(1);
    if (event.key === "k" || event.key === "p") jump(-1);
  });
  queryInput.addEventListener("input", debounce(() => loadPages(false), 300));
  loadPages(true);

  const tracks = await loadTracks();
  async function refresh() {
    const data = await api("GET", `/api/documents/${docId}/view`);
    renderSidebar(data, tracks, refresh);
  }
  refresh();
}

function row(label, value) {
  return el("tr", {}, el("th", {}, label), el("td", {}, value === null || value === undefined || value === "" ? "—" : value));
}

function renderSidebar(data, tracks, refresh) {
  const d = data.document;
  const names = data.labels;
  document.getElementById("doc-title").textContent = d.title || d.original_name;
  document.getElementById("doc-meta").replaceChildren(el("table", {class: "meta"},
    row("档号", d.archival_code || "未编号"), row("件号 / 盒号", d.item_number ? `${d.item_number} / ${d.box}` : null),
    row("文号", d.doc_number), row("责任者", d.author), row("日期", d.date), row("密级", d.secrecy),
    row("保管期限", RETENTION[d.retention] || d.retention), row("页数", d.pages), row("备注", d.remarks),
    row("自拟题名", d.title_source === "composed" ? "是（目录中题名加 [ ]）" : "否"),
    d.kind === "photo" ? PHOTO_FIELDS.map(([key, label]) => row(label, d[key])) : null,
    row("原文件名", d.original_name), row("来源", d.source_path), row("格式", d.format),
    row("文字识别", d.ocr ? `是（可信度 ${d.ocr_confidence === null ? "—" : Math.round(d.ocr_confidence * 100) + "%"}）` : "否"),
    d.warnings.length ? row("提示", d.warnings.join("；")) : null));

  const source = (field) => names.sources[field] ? `（来源：${names.sources[field]}）` : "";
  const tagsBox = document.getElementById("doc-tags");
  tagsBox.replaceChildren(el("h2", {}, "分类"), el("table", {class: "meta tags"},
    row("创建类别", names.track ? `${names.track} ${source("track")}` : "未定"),
    row("测评指标", names.criterion ? `${names.criterion} ${source("criterion")}` : "未定"),
    row("年度", d.year ? `${d.year} ${source("year")}` : "未定")));
  if (!READ_ONLY) tagsBox.append(tagEditor(d, tracks, refresh));

  const linksBox = document.getElementById("doc-links");
  const linkItems = names.links.map((l) => el("li", {},
    `${l.track_name} ${l.criterion_label}`,
    READ_ONLY ? null : el("button", {type: "button", class: "link unlink", onclick: async (event) => {
      try { await patchDocument(d, {unlink: [`${l.track}:${l.criterion}`]}); refresh(); }
      catch (error) { event.target.after(el("span", {class: "error"}, error.text)); }
    }}, "移除")));
  linksBox.replaceChildren(el("h2", {}, "同时作为以下指标的佐证"),
    linkItems.length ? el("ul", {class: "links"}, linkItems) : el("p", {class: "muted"}, "无"));
  if (!READ_ONLY) {
    const lt = el("select", {"aria-label": "关联类别"});
    fillTracks(lt, tracks, null, "（选择类别）");
    const lc = el("select", {"aria-label": "关联指标"});
    fillCriteria(lc, tracks, null, null, "（选择指标）");
    lt.addEventListener("change", () => fillCriteria(lc, tracks, lt.value, null, "（选择指标）"));
    const status = el("span", {class: "status"});
    const add = el("button", {type: "button"}, "添加关联");
    add.addEventListener("click", async () => {
      if (!lt.value || !lc.value) { show(status, "请选择类别和指标", "error"); return; }
      try { await patchDocument(d, {link: [`${lt.value}:${lc.value}`]}); refresh(); }
      catch (error) { show(status, error.text, "error"); }
    });
    linksBox.append(el("div", {class: "tag-editor"}, lt, lc, add, status));
  }

  const metaBox = document.getElementById("doc-metadata");
  metaBox.replaceChildren();
  if (!READ_ONLY) {
    // every field `edit` takes but --kind (part of the archival code); a photo's fields for photos only
    const fields = [["title", "题名"], ["doc_number", "文号"], ["author", "责任者"], ["date", "日期"],
      ["secrecy", "密级"], ["retention", "保管期限"], ["remarks", "备注"], ...(d.kind === "photo" ? PHOTO_FIELDS : [])];
    const inputs = {};
    const form = el("div", {class: "metadata-form"});
    for (const [key, label] of fields) {
      inputs[key] = el("input", {type: key === "date" ? "date" : "text", value: d[key] || "", name: key, "aria-label": label});
      form.append(el("label", {}, el("span", {}, label), inputs[key]));
      if (key === "title") {
        const wasComposed = d.title_source === "composed";
        inputs.title_composed = el("input", {type: "checkbox", name: "title_composed", checked: wasComposed,
          "aria-label": "自拟题名"});
        form.append(el("label", {class: "check"}, el("span", {}, ""), el("span", {}, inputs.title_composed,
          " 自拟题名（整理人拟写，目录中加 [ ]）")));
      }
    }
    const status = el("span", {class: "status", id: "metadata-status"});
    const save = el("button", {type: "button", class: "primary", id: "metadata-save"}, "保存元数据");
    save.addEventListener("click", async () => {
      const changed = {};
      for (const [key] of fields) if ((inputs[key].value || "") !== (d[key] || "")) changed[key] = inputs[key].value;
      if (inputs.title_composed.checked !== (d.title_source === "composed")) changed.title_composed = inputs.title_composed.checked;
      if (!Object.keys(changed).length) { show(status, "没有改动"); return; }
      try { await patchDocument(d, changed); show(status, "已保存", "ok"); refresh(); }
      catch (error) { show(status, error.text, "error"); }
    });
    add(metaBox, el("h2", {}, "修改元数据"), form, el("div", {class: "actions"}, save, status));
  }

  const historyBox = document.getElementById("doc-history");
  const entries = data.history.map((e) => el("tr", {}, el("td", {}, e.at.replace("T", " ").replace("+00:00", " UTC")),
    el("td", {}, e.actor), el("td", {}, e.action_label), el("td", {class: "detail"}, typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail))));
  historyBox.replaceChildren(el("h2", {}, "修改与编号记录"), entries.length
    ? el("table", {class: "history"}, el("thead", {}, el("tr", {}, el("th", {}, "时间"), el("th", {}, "操作人"),
      el("th", {}, "操作"), el("th", {}, "内容"))), el("tbody", {}, entries))
    : el("p", {class: "muted"}, "暂无记录"));
}

// ------------------------------------------------------------------ 看板

async function initBoard() {
  const trackSel = document.getElementById("b-track");
  const tableBox = document.getElementById("board-table");
  const panel = document.getElementById("cell-panel");
  const tracks = await loadTracks();
  const params = new URLSearchParams(location.search);
  fillTracks(trackSel, tracks, params.get("track") || (tracks[0] && tracks[0].id), null);

  async function openCell(board, crit, year) {
    panel.replaceChildren(el("p", {class: "muted"}, "正在载入…"));
    try {
      const data = await api("GET", "/api/board/cell?" + query({track: board.track, year, criterion: crit.code}));
      const items = data.documents.map((d) => el("li", {},
        el("a", {href: `/documents/${d.id}`}, d.title || d.original_name),
        el("div", {class: "hit-meta"}, el("span", {}, d.archival_code || "未编号"), el("span", {}, d.date || "无日期"),
          el("span", {}, `${d.pages || 0} 页`), d.criterion !== crit.code && d.track === board.track ? el("span", {}, `指标 ${d.criterion}`) : null)));
      put(panel, el("h2", {}, `${crit.code} ${crit.name} · ${year} 年`),
        crit.veto ? el("p", {class: "veto-note"}, "否决项：请确认本年度未发生此情形。") : null,
        items.length ? el("ol", {class: "cell-docs"}, items) : el("p", {class: crit.required ? "error" : "muted"}, "该指标本年度没有材料。"),
        READ_ONLY ? null : el("a", {class: "button", href: "/outputs?" + query({track: board.track, year, criterion: crit.code})}, "生成该指标的迎检资料"));
    } catch (error) {
      panel.replaceChildren(el("p", {class: "error"}, error.text));
    }
  }

  async function load() {
    history.replaceState(null, "", "/board?" + query({track: trackSel.value}));
    tableBox.replaceChildren(el("p", {class: "muted"}, "正在载入…"));
    let board;
    try { board = await api("GET", "/api/board?" + query({track: trackSel.value})); }
    catch (error) { tableBox.replaceChildren(el("p", {class: "error"}, error.text)); return; }
    const head = el("tr", {}, el("th", {}, "测评指标"), el("th", {}, "分值"), board.years.map((y) => el("th", {}, `${y} 年`)));
    const rows = board.criteria.map((c) => el("tr", {class: `depth-${c.depth}`},
      el("th", {class: "crit"}, el("span", {class: "indent"}, "\u3000".repeat(c.depth - 1)), `${c.code} ${c.name}`,
        c.required ? el("span", {class: "badge required"}, "必备") : null, c.veto ? el("span", {class: "badge veto"}, "否决项") : null,
        c.owner ? el("span", {class: "owner"}, `责任人：${c.owner}` + (c.due ? ` · 完成时限：${c.due}` : "")) : null),
      el("td", {class: "points"}, c.points === null ? "" : String(c.points)),
      board.years.map((y) => {
        const cell = c.cells[String(y)];
        const cls = c.veto ? "veto" : (cell.gap === "required" ? "gap-required" : (cell.gap ? "gap" : "has"));
        const label = c.veto ? (cell.subtree_documents ? `待确认 · ${cell.subtree_documents} 件` : "待确认")
          : (cell.subtree_documents ? `${cell.subtree_documents} 件 / ${cell.subtree_pages} 页` : "缺")
            + (cell.missing_periods.length ? ` · 缺 ${cell.missing_periods.length} 期` : "")
            + (cell.overdue ? " · 已逾期" : "");
        return el("td", {}, el("button", {type: "button", class: `cell ${cls}` + (cell.overdue ? " overdue" : ""),
          title: cell.missing_periods.length ? `缺少：${cell.missing_periods.join("、")}` : "", dataset: {code: c.code, year: y},
          onclick: () => openCell(board, c, y)}, label));
      })));
    const totals = el("tr", {class: "totals"}, el("th", {}, "合计"), el("td", {}),
      board.years.map((y) => el("td", {}, `${board.totals[String(y)]} 件` + (board.unplaced[String(y)] ? `（${board.unplaced[String(y)]} 件未归入指标）` : ""))));
    tableBox.replaceChildren(el("table", {class: "board-grid"}, el("thead", {}, head), el("tbody", {}, rows, totals)));
  }
  trackSel.addEventListener("change", load);
  load();
}

// ------------------------------------------------------------------ 待处理

async function initReview() {
  const list = document.getElementById("review-list");
  const status = document.getElementById("review-status");
  const tracks = await loadTracks();
  async function load() {
    let data;
    try { data = await api("GET", "/api/review"); }
    catch (error) { show(status, error.text, "error"); return; }
    show(status, data.documents.length ? `共 ${data.documents.length} 件待处理` : "没有待处理的文件。");
    list.replaceChildren(...data.documents.map((d) => {
      const names = data.labels[String(d.id)];
      return el("li", {class: "review-item", dataset: {id: d.id}},
        el("a", {href: `/documents/${d.id}`, class: "hit-title"}, d.title || d.original_name),
        el("div", {class: "hit-meta"}, el("span", {}, names.track || "类别未定"), el("span", {}, names.criterion || "指标未定"),
          el("span", {}, d.year ? `${d.year} 年` : "年度未定"), el("span", {}, d.source_path)),
        el("ul", {class: "reasons"}, d.review_reasons.map((r) => el("li", {}, reasonText(r)))),
        READ_ONLY ? null : tagEditor(d, tracks, load));
    }));
  }
  load();
}

function reasonText(reason) {
  const names = {track: "创建类别", criterion: "测评指标", year: "年度"};
  const missing = reason.match(/^(track|criterion|year) is missing$/);
  if (missing) return `缺少${names[missing[1]]}`;
  const conflict = reason.match(/^(track|criterion|year) conflict: (.*)$/);
  if (conflict) return `${names[conflict[1]]}来源不一致：${conflict[2]}`;
  if (reason.startsWith("OCR confidence is low")) return `文字识别可信度低，请核对文字（${reason}）`;
  if (/ proposed from content alone/.test(reason)) return "类别或指标仅由内容自动推断，尚未确认：请确认或修改";
  return reason;
}

// ------------------------------------------------------------------ 目录与迎检资料

async function initOutputs() {
  const tracks = await loadTracks();
  const params = new URLSearchParams(location.search);
  const oTrack = document.getElementById("o-track");
  const oYear = document.getElementById("o-year");
  const listingStatus = document.getElementById("listing-status");
  fillTracks(oTrack, tracks, params.get("track"), "全部类别");
  await fillYears(oYear, null, params.get("year"), "全部年度");
  document.querySelectorAll(".listing-download").forEach((button) => button.addEventListener("click", async () => {
    show(listingStatus, "正在生成…");
    try {
      await downloadFile("/api/listing?" + query({level: button.dataset.level, format: button.dataset.format,
        track: oTrack.value, year: oYear.value}), listingStatus);
    } catch (error) {
      show(listingStatus, error.text, "error");
    }
  }));
  if (READ_ONLY) return;
  const bTrack = document.getElementById("bundle-track");
  const bYear = document.getElementById("bundle-year");
  const bCrit = document.getElementById("bundle-criterion");
  fillTracks(bTrack, tracks, params.get("track") || (tracks[0] && tracks[0].id), null);
  fillCriteria(bCrit, tracks, bTrack.value, params.get("criterion"), "全部指标");
  await fillYears(bYear, bTrack.value, params.get("year"), null);
  bTrack.addEventListener("change", async () => {
    fillCriteria(bCrit, tracks, bTrack.value, null, "全部指标");
    await fillYears(bYear, bTrack.value, null, null);
  });
  const start = document.getElementById("bundle-start");
  const box = document.getElementById("bundle-job");
  const fill = document.getElementById("bundle-fill");
  const status = document.getElementById("bundle-status");
  start.addEventListener("click", async () => {
    start.disabled = true;
    box.hidden = false;
    fill.style.width = "0%";
    show(status, "正在准备…");
    box.querySelectorAll("a.button").forEach((a) => a.remove());
    try {
      const job = await api("POST", "/api/bundles", {track: bTrack.value, year: Number(bYear.value), criterion: bCrit.value || null});
      const done = await pollJob(job, (s) => {
        const pct = s.total ? Math.round((100 * s.done) / s.total) : 0;
        fill.style.width = `${pct}%`;
        if (s.state === "running") show(status, `正在处理 ${s.done} / ${s.total}：${s.current || "汇编"}`);
      });
      if (done.state === "failed") { show(status, done.message || done.error, "error"); return; }
      fill.style.width = "100%";
      const r = done.result;
      const missing = r.missing.length ? `；缺少材料的指标：${r.missing.map((m) => m.criterion).join("、")}` : "";
      show(status, `完成：${r.documents} 件，${r.pages} 页${r.numbered ? `，新编号 ${r.numbered} 件` : ""}${missing}`, "ok");
      box.append(el("a", {class: "button primary", id: "bundle-download", href: done.download, download: r.zip}, `下载 ${r.zip}`));
    } catch (error) {
      show(status, error.text, "error");
    } finally {
      start.disabled = false;
    }
  });
}

// ------------------------------------------------------------------ 添加文件

async function initUpload() {
  const tracks = await loadTracks();
  const uTrack = document.getElementById("u-track");
  const uCrit = document.getElementById("u-criterion");
  fillTracks(uTrack, tracks, null, "自动识别");
  uTrack.addEventListener("change", () => fillCriteria(uCrit, tracks, uTrack.value, null, "自动识别"));
  const zone = document.getElementById("dropzone");
  const picker = document.getElementById("u-files");
  const status = document.getElementById("upload-status");
  const table = document.getElementById("upload-results");
  const tbody = table.querySelector("tbody");
  const limit = Number(body.dataset.maxUploadMb) * 1024 * 1024;

  async function send(files) {
    if (!files.length) return;
    table.hidden = false;
    tbody.replaceChildren();
    const rows = files.map((file) => {
      const result = el("td", {class: "result"}, "等待上传");
      tbody.append(el("tr", {}, el("td", {}, file.name), el("td", {}, `${Math.ceil(file.size / 1024)} KB`), result));
      return {file, result};
    });
    let batch;
    try { batch = (await api("POST", "/api/uploads")).batch; }
    catch (error) { show(status, error.text, "error"); return; }
    let sent = 0;
    for (const [i, r] of rows.entries()) {
      show(status, `正在上传 ${i + 1} / ${rows.length}：${r.file.name}`);
      if (r.file.size > limit) { r.result.textContent = `未上传：超过 ${body.dataset.maxUploadMb} MB 上限`; r.result.className = "result error"; continue; }
      try {
        await api("POST", `/api/uploads/${batch}/files`, r.file,
          {"X-File-Name": encodeURIComponent(r.file.name), "Content-Type": "application/octet-stream"});
        r.result.textContent = "已上传，等待入库";
        sent += 1;
      } catch (error) {
        r.result.textContent = `未上传：${error.text}`;
        r.result.className = "result error";
      }
    }
    if (!sent) { show(status, "没有文件可入库。", "error"); return; }
    const options = {track: uTrack.value || null, criterion: uCrit.value || null,
      year: document.getElementById("u-year").value ? Number(document.getElementById("u-year").value) : null,
      ocr: document.getElementById("u-ocr").checked};
    try {
      const job = await api("POST", `/api/uploads/${batch}/ingest`, options);
      const done = await pollJob(job, (s) => { if (s.state === "running") show(status, `正在入库 ${s.done} / ${s.total}`); });
      if (done.state === "failed") { show(status, done.message || done.error, "error"); return; }
      const report = done.result;
      const byName = (list, key) => { const m = new Map(); for (const x of list) m.set(x[key], x); return m; };
      const added = byName(report.added, "original_name");
      const failed = byName(report.failed, "path");
      const duplicates = byName(report.duplicates, "path");
      for (const r of rows) {
        if (r.result.classList.contains("error")) continue;
        const name = r.file.name.split(/[\\/]/).pop();
        if (added.has(name)) {
          const d = added.get(name);
          r.result.replaceChildren("已入库：", el("a", {href: `/documents/${d.id}`}, d.title || d.original_name));
          r.result.className = "result ok";
        } else if (failed.has(name)) {
          r.result.textContent = `失败：${failed.get(name).message || failed.get(name).error}`;
          r.result.className = "result error";
        } else if (duplicates.has(name)) {
          const d = duplicates.get(name);
          r.result.replaceChildren("重复：档案库已有此文件 ", d.id ? el("a", {href: `/documents/${d.id}`}, `#${d.id}`) : "");
          r.result.className = "result";
        }
      }
      show(status, `入库完成：新增 ${report.added.length} 件，重复 ${report.duplicates.length} 件，失败 ${report.failed.length} 件。`,
        report.failed.length ? "error" : "ok");
    } catch (error) {
      show(status, error.text, "error");
    }
  }

  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    send(Array.from(event.dataTransfer.files));
  });
  picker.addEventListener("change", () => { send(Array.from(picker.files)); picker.value = ""; });
}

// ------------------------------------------------------------------ start

const PAGES = {search: initSearch, document: initDocument, board: initBoard, review: initReview,
  outputs: initOutputs, upload: initUpload};
const init = PAGES[body.dataset.page];
if (init) {
  init().catch((error) => {
    const main = document.querySelector("main");
    main.prepend(el("p", {class: "error page-error"}, error instanceof ApiError ? error.text : `页面出错：${error.message}`));
  });
}
