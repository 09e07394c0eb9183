import type { WireFrame, WireStage } from "../wire.js";
import { sendControl } from "./controls.js";
import { formatCount, formatRate } from "./format.js";

/** The fields of a stage's box that each frame updates. */
interface StageBox {
  readonly in: HTMLElement;
  readonly out: HTMLElement;
  readonly inFlight: HTMLElement;
  readonly queue: HTMLElement;
  readonly failed: HTMLElement;
  /** The rate label on the arrow into the next box: items/s that left this stage. */
  readonly rate: HTMLElement;
  /** The width control's fieldset, for stages whose width can be set. */
  readonly width: WidthControl | undefined;
}

interface WidthControl {
  readonly fieldset: HTMLFieldSetElement;
  readonly input: HTMLInputElement;
}

/**
 * The pipeline as a row of boxes joined by arrows: the source, then one box per stage with
 * its in/out counts, in flight / width, input queue and failures, and (for stages that call a
 * function) a width control that calls `run.setConcurrency()`. Each arrow carries the rate of
 * the box before it.
 */
export class StageGraph {
  readonly #pulled: HTMLElement;
  readonly #boxes: StageBox[];

  constructor(
    container: HTMLElement,
    stages: readonly WireStage[],
    token: string | null,
    onMessage: (text: string | undefined) => void,
  ) {
    container.replaceChildren();
    const source = element("div", "node source", { testid: "source-box" });
    source.append(element("div", "node-name", { text: "source" }));
    this.#pulled = field(source, "pulled", "pulled");
    container.append(source);
    this.#boxes = stages.map((stage) => {
      const arrow = element("div", "arrow", { testid: "arrow" });
      const rate = element("span", "arrow-rate");
      arrow.append(rate, element("span", "arrow-line"));
      container.append(arrow);
      const box = element("div", "node stage", { testid: "stage-box", stage: stage.name });
      const name = element("div", "node-name", { text: stage.name });
      name.append(element("span", "kind", { text: stage.kind }));
      box.append(name);
      const fields = {
        in: field(box, "in", "in"),
        out: field(box, "out", "out"),
        inFlight: field(box, "in flight", "in-flight"),
        queue: field(box, "queue", "queue"),
        failed: field(box, "failed", "failed"),
      };
      const width = stage.steerable ? widthControl(box, stage, token, onMessage) : undefined;
      container.append(box);
      return { ...fields, rate, width };
    });
  }

  /** Shows `frame`'s numbers. */
  update(frame: WireFrame): void {
    this.#pulled.textContent = formatCount(frame.pulled);
    frame.stages.forEach((stage, i) => {
      const box = this.#boxes[i];
      if (box === undefined) return;
      box.in.textContent = formatCount(stage.in);
      box.out.textContent = formatCount(stage.out);
      box.inFlight.textContent = `${formatCount(stage.inFlight)} / ${formatCount(stage.limit)}`;
      box.queue.textContent = formatCount(stage.queueDepth);
      box.failed.textContent = formatCount(stage.failed);
      box.failed.classList.toggle("bad", stage.failed > 0);
      box.rate.textContent = formatRate(stage.outPerSecond);
      if (box.width !== undefined) box.width.input.placeholder = String(stage.limit);
    });
  }

  /** Turns the width controls off: the run has ended. */
  disable(): void {
    for (const box of this.#boxes) if (box.width !== undefined) box.width.fieldset.disabled = true;
  }
}

/** A labelled number in a box, with `data-testid` for the tests. */
function field(box: HTMLElement, label: string, testid: string): HTMLElement {
  const row = element("div", "field");
  const value = element("span", "value", { testid, text: "-" });
  row.append(element("span", "label", { text: label }), value);
  box.append(row);
  return value;
}

/** The width form of a stage: a number and a button; the server checks the number. */
function widthControl(
  box: HTMLElement,
  stage: WireStage,
  token: string | null,
  onMessage: (text: string | undefined) => void,
): WidthControl {
  const form = element("form", "width", { testid: "width-form" });
  const fieldset = element("fieldset", "width-fields");
  // Text, not type=number: the browser would turn "abc" into "" before the server could
  // say what is wrong with it.
  const input = element("input", "width-input", { testid: "width-input" });
  input.inputMode = "numeric";
  input.autocomplete = "off";
  input.placeholder = String(stage.concurrency);
  input.setAttribute("aria-label", `width of ${stage.name}`);
  const button = element("button", "width-set", { testid: "width-set", text: "set width" });
  button.type = "submit";
  fieldset.append(input, button);
  form.append(fieldset);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // Sent as typed (a number when it parses as one): the server says what is wrong with it.
    const text = input.value.trim();
    const concurrency = text !== "" && !Number.isNaN(Number(text)) ? Number(text) : text;
    button.disabled = true;
    void sendControl("concurrency", { stage: stage.name, concurrency }, token).then((answer) => {
      button.disabled = false;
      if (answer.error !== undefined) {
        onMessage(`${stage.name}: ${answer.error}`);
        return;
      }
      onMessage(undefined);
      input.value = "";
      if (answer.limit !== undefined) input.placeholder = String(answer.limit);
    });
  });
  box.append(form);
  return { fieldset, input };
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  data: { testid?: string; stage?: string; text?: string } = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (data.testid !== undefined) node.dataset.testid = data.testid;
  if (data.stage !== undefined) node.dataset.stage = data.stage;
  if (data.text !== undefined) node.textContent = data.text;
  return node;
}
