// Drives the page in a real headless Chromium (Debian's, through
// playwright-core) as a user would: types a Spanish sentence and a review,
// drops a photo, waits for the three answers, saves a screenshot, then
// reloads and answers again to see the cached models are not fetched twice.
// Before the photo it drops an image over the pixel limit and a file that is
// not an image, and reads the messages the page shows.
// Prints JSON; tests/serving/test_web_app.py compares it with OnnxModel.
//
//   node browser-check.mjs URL PHOTO OVERSIZED_PHOTO SCREENSHOT '{"spanish": "...", "beam": 3, "review": "..."}'

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { chromium } from "playwright-core";

const [url, photo, huge, screenshot, asked] = process.argv.slice(2);
const { spanish, beam, review, executable = "/usr/bin/chromium" } = JSON.parse(asked);

const browser = await chromium.launch({
  executablePath: executable,
  // No background services: this machine's network is closed to them.
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 560 } });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  await page.goto(url);

  const answer = async (task) => {
    const out = page.locator(`#${task}-out[data-result]`);
    const status = page.locator(`#${task}-status.error`);
    await Promise.race([out.waitFor({ timeout: 240000 }), status.waitFor({ timeout: 240000 })]);
    if (await status.count()) throw new Error(`${task}: ${await status.textContent()}`);
    return JSON.parse(await out.getAttribute("data-result"));
  };

  await page.fill("#translate-text", spanish);
  await page.selectOption("#translate-beam", String(beam));
  await page.click("#translate-run");
  const translation = await answer("translate");

  await page.fill("#classify-text", review);
  await page.click("#classify-run");
  const sentiment = await answer("classify");

  // A drop event carrying a file, as one dragged from the desktop.
  const dropFile = (path, type) =>
    page.evaluate(
      async ({ bytes, name, type }) => {
        const data = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], name, { type }));
        document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
      },
      { bytes: readFileSync(path).toString("base64"), name: basename(path), type },
    );
  const refusal = async (path, type) => {
    await page.evaluate(() => document.getElementById("caption-status").classList.remove("error"));
    await dropFile(path, type);
    await page.locator("#caption-status.error").waitFor({ timeout: 60000 });
    return page.locator("#caption-status").textContent();
  };

  // Bad files first: each gets a message in the card.
  const refused = { oversized: await refusal(huge, "image/png"), notAnImage: await refusal(process.argv[1], "text/plain") };
  await dropFile(photo, "image/png");
  const caption = await answer("caption");
  await page.screenshot({ path: screenshot, fullPage: true });
  const first = await page.evaluate(() => window.zooStats);

  // Bad input gets a message in the card, not an exception.
  await page.fill("#classify-text", "   ");
  await page.click("#classify-run");
  const empty = await page.locator("#classify-status.error").textContent();

  // A second visit: the models come from the cache.
  await page.reload();
  await page.fill("#translate-text", spanish);
  await page.selectOption("#translate-beam", String(beam));
  await page.click("#translate-run");
  const again = await answer("translate");
  const second = await page.evaluate(() => window.zooStats);

  // A browser without WebAssembly: a banner says so, and nothing can be run.
  const old = await browser.newPage();
  await old.addInitScript(() => delete globalThis.WebAssembly);
  await old.goto(url);
  const unsupported = {
    banner: await old.locator("#banner").textContent(),
    disabled: await old.locator("#translate-run").isDisabled(),
  };

  console.log(JSON.stringify({ translation, sentiment, caption, refused, unsupported, first, second, again, empty, errors }));
} finally {
  await browser.close();
}
