// Deterministic generator for the `mixed` and `mixed-v2` benchmark datasets.
//
//   node gen-mixed.mjs mixed  DIR      write the `mixed` tree into DIR (must not exist)
//   node gen-mixed.mjs mutate DIR      turn a copy of `mixed` in DIR into `mixed-v2`
//   node gen-mixed.mjs digest DIR      print file count, bytes and a digest of the tree
//
// Every decision comes from one seeded PRNG (sfc32) and every byte from AES-256-CTR
// keystreams keyed by the seed, so the same SEED gives the same bytes, names, modes
// and mtimes on any machine and any Node.js/Deno version.
// deno-lint-ignore-file no-console
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const SEED = process.env.BENCH_SEED ?? "burrow-bench-v1";
const KiB = 1024;
const MiB = 1024 * KiB;

/** sfc32 PRNG seeded from SHA-256(label); all arithmetic is 32-bit and portable. */
function prng(label) {
  const h = crypto.createHash("sha256").update(`${SEED}:${label}`).digest();
  let a = h.readUInt32LE(0), b = h.readUInt32LE(4), c = h.readUInt32LE(8), d = h.readUInt32LE(12);
  const u32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) u32();
  const float = () => u32() / 4294967296;
  const int = (lo, hi) => lo + Math.floor(float() * (hi - lo + 1)); // inclusive
  const pick = (arr) => arr[Math.floor(float() * arr.length)];
  const logUniform = (lo, hi) =>
    Math.floor(Math.exp(Math.log(lo) + float() * (Math.log(hi) - Math.log(lo))));
  return { u32, float, int, pick, logUniform };
}

/** Pseudo-random bytes: AES-256-CTR keystream, one stream per (label, index). */
const streamKey = crypto.createHash("sha256").update(`${SEED}:bytes`).digest();
function keystream(label, index) {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(index >>> 0, 4);
  iv.writeUInt32BE(crypto.createHash("sha256").update(label).digest().readUInt32BE(0), 0);
  const cipher = crypto.createCipheriv("aes-256-ctr", streamKey, iv);
  return (n) => cipher.update(Buffer.alloc(n));
}

// ---------------------------------------------------------------- text-like content
const R0 = prng("vocabulary");
const SYL = [
  "ka",
  "lo",
  "mi",
  "ne",
  "ru",
  "ta",
  "so",
  "vi",
  "de",
  "ba",
  "or",
  "en",
  "al",
  "is",
  "um",
  "ter",
  "con",
  "pre",
  "ment",
  "tion",
  "ex",
  "im",
  "per",
  "com",
  "sta",
  "ble",
  "ing",
  "ed",
  "er",
  "ly",
];
const COMMON = [
  "the",
  "of",
  "and",
  "to",
  "in",
  "is",
  "for",
  "that",
  "with",
  "as",
  "on",
  "by",
  "this",
  "file",
  "data",
  "user",
  "error",
  "value",
  "return",
  "backup",
  "server",
  "client",
  "config",
  "update",
  "request",
];
const VOCAB = [...COMMON];
while (VOCAB.length < 3000) {
  let w = "";
  for (let n = R0.int(1, 4); n > 0; n--) w += R0.pick(SYL);
  VOCAB.push(w);
}
const camel = (r) => {
  let s = r.pick(VOCAB);
  for (let n = r.int(0, 2); n > 0; n--) {
    const w = r.pick(VOCAB);
    s += w[0].toUpperCase() + w.slice(1);
  }
  return s;
};
const LINE_GEN = {
  code(r) {
    const ind = "  ".repeat(r.int(0, 4));
    const k = r.int(0, 5);
    if (k === 0) {
      return `${ind}// ${Array.from({ length: r.int(3, 10) }, () => r.pick(VOCAB)).join(" ")}`;
    }
    if (k === 1) {
      return `${ind}if (${camel(r)} ${r.pick(["===", "!==", "<", ">="])} ${r.int(0, 999)}) {`;
    }
    if (k === 2) return `${ind}}`;
    const args = Array.from(
      { length: r.int(0, 3) },
      () => r.float() < 0.5 ? camel(r) : String(r.int(0, 65535)),
    );
    return `${ind}${r.pick(["const", "let", "return", "await", ""])} ${camel(r)} = ${camel(r)}(${
      args.join(", ")
    });`;
  },
  log(r) {
    const ts = new Date(1_700_000_000_000 + r.int(0, 2_000_000_000) * 10).toISOString();
    const lvl = r.pick(["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]);
    const words = Array.from({ length: r.int(3, 12) }, () => r.pick(VOCAB)).join(" ");
    return `${ts} ${lvl} [${r.pick(VOCAB)}] ${words} id=${
      r.u32().toString(16).padStart(8, "0")
    } ms=${r.int(0, 5000)}`;
  },
  prose(r) {
    const words = Array.from({ length: r.int(6, 24) }, () => r.pick(VOCAB));
    words[0] = words[0][0].toUpperCase() + words[0].slice(1);
    return words.join(" ") + r.pick([".", ".", ".", "?", "!", ":"]);
  },
  csv(r) {
    return [
      r.int(1, 1e6),
      (r.float() * 1000).toFixed(3),
      r.pick(VOCAB),
      r.int(0, 99),
      r.u32().toString(16),
    ].join(",");
  },
};
const POOL = {};
for (const style of Object.keys(LINE_GEN)) {
  const r = prng(`pool:${style}`);
  POOL[style] = Array.from({ length: 16384 }, () => LINE_GEN[style](r) + "\n");
}
const TEXT_EXT = {
  code: [".ts", ".js", ".py", ".go", ".c", ".sh"],
  log: [".log", ".txt"],
  prose: [".md", ".txt", ".html"],
  csv: [".csv", ".tsv"],
};
const BIN_EXT = [".jpg", ".png", ".zip", ".gz", ".mp3", ".webp"];
const SEMI_EXT = [".db", ".pdf", ".exe", ".sqlite", ".docx", ".o"];
const TEXT_EXTS = new Set(Object.values(TEXT_EXT).flat());

/** `size` bytes of text in the given style, lines drawn from its pool. */
function textBytes(r, style, size) {
  const pool = POOL[style];
  const parts = [];
  let n = 0;
  while (n < size) {
    const line = pool[r.u32() & 16383];
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join("").slice(0, size), "latin1");
}

/** Binary content that compresses about 2:1: each 4 KiB page is partly random, partly zeros. */
function semiBytes(r, ks, size) {
  const buf = ks(size);
  for (let p = 0; p < size; p += 4096) {
    const keep = Math.floor(4096 * (0.2 + 0.6 * r.float()));
    buf.fill(0, Math.min(size, p + keep), Math.min(size, p + 4096));
  }
  return buf;
}

function writeStream(file, size, ks) {
  const fd = fs.openSync(file, "w", 0o644);
  for (let left = size; left > 0;) {
    const n = Math.min(left, 8 * MiB);
    fs.writeSync(fd, ks(n));
    left -= n;
  }
  fs.closeSync(fd);
}

// ---------------------------------------------------------------- naming and tree
function uniqueName(taken, base) {
  let name = base, i = 2;
  while (taken.has(name.toLowerCase())) {
    name = base.replace(/(\.[^.]*)?$/, (ext) => `-${i++}${ext ?? ""}`);
  }
  taken.add(name.toLowerCase());
  return name;
}
function fileName(r, ext) {
  const x = r.float();
  if (x < 0.02) {
    return `${r.pick(["Meeting notes", "Scan", "Invoice", "Copy of report"])} ${
      r.int(1, 999)
    }${ext}`;
  }
  if (x < 0.025) {
    return `${r.pick(["résumé", "naïve-café", "übersicht", "日本語-メモ", "Ørsted"])}-${
      r.int(1, 99)
    }${ext}`;
  }
  return (r.float() < 0.5 ? r.pick(VOCAB) : `${r.pick(VOCAB)}-${r.pick(VOCAB)}`) + ext;
}

const MTIME_BASE = 1_700_000_000; // 2023-11-14
const MTIME_V2 = 1_740_000_000; // 2025-02-19

function genMixed(root) {
  const r = prng("mixed");
  const ksFor = (i) => keystream("mixed", i);
  fs.mkdirSync(root, { recursive: false, mode: 0o755 });
  // Directory tree: 12 top-level folders, nested up to depth 4.
  const dirs = [{ rel: "", taken: new Set() }];
  const top = [
    "src",
    "docs",
    "photos",
    "music",
    "projects",
    "home",
    "logs",
    "data",
    "archive",
    "notes",
    "build",
    "vendor",
  ];
  let level = top.map((name) => ({ rel: name, taken: new Set() }));
  for (const d of level) dirs[0].taken.add(d.rel.toLowerCase());
  const fanout = [[3, 8], [2, 6], [0, 4]];
  for (let depth = 0; depth <= fanout.length; depth++) {
    const next = [];
    for (const d of level) {
      fs.mkdirSync(path.join(root, d.rel), { mode: 0o755 });
      dirs.push(d);
      if (depth === fanout.length) continue;
      for (let n = r.int(...fanout[depth]); n > 0; n--) {
        const name = uniqueName(d.taken, r.pick(VOCAB));
        next.push({ rel: path.join(d.rel, name), taken: new Set() });
      }
    }
    level = next;
  }
  let idx = 0;
  const place = (ext) => {
    const d = dirs[r.int(1, dirs.length - 1)];
    return path.join(d.rel, uniqueName(d.taken, fileName(r, ext)));
  };
  const finish = (rel, mode = 0o644) => {
    const abs = path.join(root, rel);
    fs.chmodSync(abs, mode);
    const t = MTIME_BASE + r.int(0, 31_536_000);
    fs.utimesSync(abs, t, t);
  };
  // ~20,000 small files, 1-64 KiB (log-uniform): 50% text, 30% incompressible, 20% semi-compressible;
  // 2% are exact copies of an earlier small file (the same LICENSE in many folders).
  const small = [];
  for (let i = 0; i < 20000; i++) {
    const size = r.logUniform(1 * KiB, 64 * KiB + 1);
    const kind = r.float();
    if (small.length > 100 && r.float() < 0.02) {
      const src = r.pick(small);
      const rel = place(path.extname(src));
      fs.copyFileSync(path.join(root, src), path.join(root, rel));
      finish(rel);
      continue;
    }
    let rel, data, mode = 0o644;
    if (kind < 0.5) {
      const style = r.pick(["code", "code", "log", "prose", "prose", "csv"]);
      const ext = r.pick(TEXT_EXT[style]);
      rel = place(ext);
      data = textBytes(r, style, size);
      if (ext === ".sh") mode = 0o755;
    } else if (kind < 0.8) {
      rel = place(r.pick(BIN_EXT));
      data = ksFor(idx++)(size);
    } else {
      rel = place(r.pick(SEMI_EXT));
      data = semiBytes(r, ksFor(idx++), size);
    }
    fs.writeFileSync(path.join(root, rel), data);
    finish(rel, mode);
    small.push(rel);
  }
  // 10 empty files.
  for (let i = 0; i < 10; i++) {
    const rel = place(".gitkeep");
    fs.writeFileSync(path.join(root, rel), "");
    finish(rel);
  }
  // 40 medium files, 1-10 MiB: 30% logs, 40% incompressible, 30% semi-compressible; one duplicated.
  let medium;
  for (let i = 0; i < 40; i++) {
    const size = r.logUniform(1 * MiB, 10 * MiB);
    const kind = r.float();
    let rel;
    if (kind < 0.3) {
      rel = place(".log");
      fs.writeFileSync(path.join(root, rel), textBytes(r, "log", size));
    } else if (kind < 0.7) {
      rel = place(r.pick([".mp4", ".zip", ".jpg", ".tar.gz"]));
      writeStream(path.join(root, rel), size, ksFor(idx++));
    } else {
      rel = place(r.pick([".db", ".pdf", ".iso"]));
      fs.writeFileSync(path.join(root, rel), semiBytes(r, ksFor(idx++), size));
    }
    finish(rel);
    medium ??= rel;
  }
  const dup = place(path.extname(medium));
  fs.copyFileSync(path.join(root, medium), path.join(root, dup));
  finish(dup);
  // 3 large incompressible files (112, 176, 272 MiB).
  for (const [i, size] of [112, 176, 272].entries()) {
    const rel = place([".mkv", ".tar.zst", ".mp4"][i]);
    writeStream(path.join(root, rel), size * MiB, ksFor(1_000_000 + i));
    finish(rel);
  }
  // Directory modes and mtimes last (writing files changes them).
  for (const d of dirs.slice().reverse()) {
    const abs = path.join(root, d.rel);
    fs.chmodSync(abs, 0o755);
    const t = MTIME_BASE + r.int(0, 31_536_000);
    fs.utimesSync(abs, t, t);
  }
}

/** All regular files under root, as sorted relative paths (sorted by UTF-16 code units). */
function listFiles(root) {
  const out = [];
  const dirs = [];
  const walk = (rel) => {
    dirs.push(rel);
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? path.join(rel, e.name) : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk("");
  out.sort();
  dirs.sort();
  return { files: out, dirs };
}

/** Turn a copy of `mixed` into `mixed-v2`: ~5% of files appended, changed in the middle, deleted or new. */
function mutate(root) {
  const r = prng("mixed-v2");
  const ks = keystream("mixed-v2", 0);
  const { files, dirs } = listFiles(root);
  const touchedDirs = new Set();
  const stats = { appended: 0, changedInMiddle: 0, deleted: 0, added: 0 };
  const stamp = (abs) => {
    const t = MTIME_V2 + r.int(0, 86_400);
    fs.utimesSync(abs, t, t);
  };
  const large = files.filter((f) => fs.statSync(path.join(root, f)).size >= 100 * MiB);
  for (const rel of files) {
    const abs = path.join(root, rel);
    const size = fs.statSync(abs).size;
    const x = r.float();
    if (size >= 100 * MiB) continue; // handled below
    if (x < 0.02) {
      const n = size >= MiB ? r.int(64 * KiB, 1 * MiB) : r.int(1 * KiB, 16 * KiB);
      const ext = path.extname(rel);
      const data = TEXT_EXTS.has(ext) ? textBytes(r, ext === ".log" ? "log" : "prose", n) : ks(n);
      fs.appendFileSync(abs, data);
      stamp(abs);
      stats.appended++;
    } else if (x < 0.035 && size > 0) {
      const n = Math.min(size, size >= MiB ? r.int(4 * KiB, 64 * KiB) : r.int(1, 4 * KiB));
      const fd = fs.openSync(abs, "r+");
      fs.writeSync(fd, ks(n), 0, n, r.int(0, size - n));
      fs.closeSync(fd);
      stamp(abs);
      stats.changedInMiddle++;
    } else if (x < 0.045) {
      fs.unlinkSync(abs);
      touchedDirs.add(path.dirname(rel));
      stats.deleted++;
    }
  }
  // Large files: one changed in the middle (1 MiB at 50%), one appended (8 MiB).
  {
    const abs = path.join(root, large[0]);
    const size = fs.statSync(abs).size;
    const fd = fs.openSync(abs, "r+");
    fs.writeSync(fd, ks(MiB), 0, MiB, Math.floor(size / 2));
    fs.closeSync(fd);
    stamp(abs);
    stats.changedInMiddle++;
    fs.appendFileSync(path.join(root, large[1]), ks(8 * MiB));
    stamp(path.join(root, large[1]));
    stats.appended++;
  }
  // New files: 1% of the count in existing folders, plus a new folder with 50 files.
  const taken = new Map();
  const addFile = (dirRel) => {
    if (!taken.has(dirRel)) {
      taken.set(
        dirRel,
        new Set(fs.readdirSync(path.join(root, dirRel)).map((n) => n.toLowerCase())),
      );
    }
    const style = r.pick(["code", "prose", "log"]);
    const ext = r.float() < 0.6 ? r.pick(TEXT_EXT[style]) : r.pick(BIN_EXT);
    const rel = path.join(dirRel, uniqueName(taken.get(dirRel), fileName(r, ext)));
    const size = r.logUniform(1 * KiB, 64 * KiB + 1);
    const data = TEXT_EXTS.has(ext) ? textBytes(r, style, size) : ks(size);
    fs.writeFileSync(path.join(root, rel), data);
    fs.chmodSync(path.join(root, rel), 0o644);
    stamp(path.join(root, rel));
    touchedDirs.add(dirRel);
    stats.added++;
  };
  const realDirs = dirs.filter((d) => d !== "");
  for (let i = Math.round(files.length * 0.01); i > 0; i--) addFile(r.pick(realDirs));
  const newDir = path.join(r.pick(realDirs), "new-project-2025");
  fs.mkdirSync(path.join(root, newDir), { mode: 0o755 });
  touchedDirs.add(path.dirname(newDir));
  for (let i = 0; i < 50; i++) addFile(newDir);
  for (const d of [...touchedDirs].sort().reverse()) {
    fs.chmodSync(path.join(root, d), 0o755);
    stamp(path.join(root, d));
  }
  const total = stats.appended + stats.changedInMiddle + stats.deleted + stats.added;
  console.log(
    `mixed-v2 changes: ${stats.appended} appended, ${stats.changedInMiddle} changed in the middle, ` +
      `${stats.deleted} deleted, ${stats.added} added (${
        (100 * total / files.length).toFixed(1)
      }% of ${files.length} files)`,
  );
}

/** Print "files bytes dirs digest": the digest covers every path, mode, mtime (s) and content. */
function digest(root) {
  const { files, dirs } = listFiles(root);
  const h = crypto.createHash("sha256");
  let bytes = 0;
  const buf = Buffer.alloc(4 * MiB);
  for (const rel of dirs) {
    const st = fs.statSync(path.join(root, rel));
    h.update(`d ${rel} ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs / 1000)}\n`);
  }
  for (const rel of files) {
    const abs = path.join(root, rel);
    const st = fs.statSync(abs);
    const fh = crypto.createHash("sha256");
    const fd = fs.openSync(abs, "r");
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) fh.update(buf.subarray(0, n));
    fs.closeSync(fd);
    bytes += st.size;
    h.update(
      `f ${rel} ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs / 1000)} ${st.size} ${
        fh.digest("hex")
      }\n`,
    );
  }
  console.log(`${files.length} ${bytes} ${dirs.length} ${h.digest("hex")}`);
}

const [mode, dir] = process.argv.slice(2);
if (mode === "mixed") genMixed(dir);
else if (mode === "mutate") mutate(dir);
else if (mode === "digest") digest(dir);
else {
  console.error("usage: gen-mixed.mjs mixed|mutate|digest DIR");
  process.exit(2);
}
