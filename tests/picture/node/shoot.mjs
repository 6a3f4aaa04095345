// Open HTML pages in headless Chromium (playwright-core driving the system's chromium, one launch for all)
// and report, per page, every SVG table group (data-table): its box, its text, and what a screenshot of
// just that box holds (pixels, non-white pixels, distinct colours); plus a full-page PNG screenshot.
// argv: chromium executable, then a JSON array of [html path, png path].
import { inflateSync } from "node:zlib";
import { chromium } from "playwright-core";

// a PNG as Chromium writes it (8-bit RGB or RGBA, not interlaced) -> pixel statistics
function stats(png) {
  let pos = 8, width = 0, height = 0, channels = 4;
  const idat = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos), type = png.toString("ascii", pos + 4, pos + 8), data = png.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error("unexpected PNG layout");
      channels = { 2: 3, 6: 4 }[data[9]];
    } else if (type === "IDAT") idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat)), stride = width * channels;
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], src = y * (stride + 1) + 1, row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[row + x - channels] : 0, b = y ? px[row - stride + x] : 0;
      const c = x >= channels && y ? px[row - stride + x - channels] : 0;
      let v = raw[src + x];
      if (f === 1) v += a; else if (f === 2) v += b; else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      px[row + x] = v & 255;
    }
  }
  const colours = new Set();
  let nonwhite = 0;
  for (let i = 0; i < px.length; i += channels) {
    const [r, g, b] = [px[i], px[i + 1], px[i + 2]];
    if (r < 245 || g < 245 || b < 245) nonwhite++;
    colours.add((r << 16) | (g << 8) | b);
  }
  return { pixels: width * height, nonwhite, colours: colours.size };
}

const [executablePath, jobs] = [process.argv[2], JSON.parse(process.argv[3])];
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] });
const out = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests = [];
  page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
  for (const [html, png] of jobs) {
    requests.length = 0;
    await page.goto("file://" + html, { waitUntil: "load" });
    const tables = [];
    for (const g of await page.locator("svg g[data-table]").all()) {
      await g.scrollIntoViewIfNeeded();
      const box = await g.boundingBox();
      const side = await g.evaluate((n) => n.closest("svg").getAttribute("class"));
      const text = await g.evaluate((n) => n.textContent);
      const shot = box && box.width > 0 && box.height > 0 ? stats(await g.screenshot()) : null;
      tables.push({ table: await g.getAttribute("data-table"), side, box, text, shot });
    }
    await page.screenshot({ path: png, fullPage: true });
    out.push({ html, png, tables, requests: [...requests], scripts: await page.locator("script").count() });
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out));
