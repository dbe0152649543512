// The compact text form of a layer list, as `simdnet train --layers` takes it: PyTorch's layer
// names and arguments, the layers separated by spaces (or commas), e.g. LeNet-5:
//
//   conv2d(6,5,padding=2) relu maxpool2d(2) conv2d(16,5) relu maxpool2d(2) flatten dense(120) relu dense(84) relu dense(10)
//
//   layers    = layer { [","] layer }
//   layer     = name [ "(" [ argument { "," argument } ] ")" ]
//   argument  = value | parameter "=" value          positional ones first, as in Python
//   value     = number | "(" number "," number ")"   a pair: [height, width] of a kernel
//
// Names are read without case, "-" or "_" (Conv2d, MaxPool2d, LeakyReLU and leaky_relu are
// conv2d, maxpool2d and leaky-relu; linear, PyTorch's name, is dense). Each name is one entry
// of LAYER_KINDS, which maps it to the src/layers.ts builder and writes the layer back:
// formatLayers gives one canonical text per layer list, the form a CLI checkpoint stores and
// compares on resume.
import { ValueError } from './errors.js';
import {
  ACTIVATIONS, activation, avgPool2d, batchNorm1d, batchNorm2d, conv2d, dense, dropout, flatten, maxPool2d, networkGeometry,
  type BatchNormLayer, type Conv2dLayer, type DenseLayer, type DropoutLayer, type ImageShape, type LayerSpec, type Pool2dLayer,
} from './layers.js';

type Value = number | [number, number];

/** What a parameter accepts, checked where it is written so an error can point at it. */
type ValueKind =
  | 'count'        // an integer >= 1: units, channels, a stride
  | 'size'         // an integer >= 1 or a pair of them: a kernel size
  | 'nonnegative'  // an integer >= 0: a padding
  | 'probability'  // a number in [0, 1): a dropout probability
  | 'positive'     // a number > 0: batch normalization's eps
  | 'fraction';    // a number in [0, 1]: batch normalization's momentum

interface Parameter {
  /** PyTorch's argument name, which a keyword argument uses. */
  name: string;
  kind: ValueKind;
  /**
   * Set when it may be left out: the src/layers.ts builder's default (PyTorch's), as help and
   * errors show it.
   */
  default?: string;
}

interface LayerKind {
  /** The arguments in PyTorch's order: positional arguments fill them in this order. */
  parameters: Parameter[];
  build: (args: Record<string, Value | undefined>) => LayerSpec;
  /** Whether `layer` is this entry's kind. */
  describes: (layer: LayerSpec) => boolean;
  /** The layer's arguments in canonical text, defaults left out. */
  format: (layer: LayerSpec) => string[];
}

/** A kernel size as written: one number when it is square. */
const size = ([height, width]: [number, number]): string => (height === width ? String(height) : `(${height},${width})`);

const activationKinds = Object.fromEntries(ACTIVATIONS.map((name): [string, LayerKind] => [name, {
  parameters: [],
  build: () => activation(name),
  describes: (layer) => layer.kind === 'activation' && layer.function === name,
  format: () => [],
}]));

const pool = (kind: 'maxpool2d' | 'avgpool2d', builder: typeof maxPool2d): LayerKind => ({
  parameters: [{ name: 'kernel_size', kind: 'size' }, { name: 'stride', kind: 'count', default: 'kernel_size' }],
  build: (a) => builder(a.kernel_size!, a.stride as number | undefined),
  describes: (layer) => layer.kind === kind,
  format: (layer) => {
    const { kernel, stride } = layer as Pool2dLayer;
    return [size(kernel), ...(stride !== kernel[0] ? [`stride=${stride}`] : [])];
  },
});

// The features or channels are the previous layer's (PyTorch's num_features), so only eps and
// momentum are written, by keyword or in PyTorch's order after num_features.
const batchNorm = (kind: 'batchnorm1d' | 'batchnorm2d', builder: typeof batchNorm1d): LayerKind => ({
  parameters: [{ name: 'eps', kind: 'positive', default: '1e-05' }, { name: 'momentum', kind: 'fraction', default: '0.1' }],
  build: (a) => builder({ eps: a.eps as number | undefined, momentum: a.momentum as number | undefined }),
  describes: (layer) => layer.kind === kind,
  format: (layer) => {
    const { eps, momentum } = layer as BatchNormLayer;
    const defaults = builder();
    return [...(eps !== defaults.eps ? [`eps=${eps}`] : []), ...(momentum !== defaults.momentum ? [`momentum=${momentum}`] : [])];
  },
});

/** One entry per layer name: a new layer kind is one more entry. */
export const LAYER_KINDS: Readonly<Record<string, LayerKind>> = {
  dense: {
    parameters: [{ name: 'out_features', kind: 'count' }],
    build: (a) => dense(a.out_features as number),
    describes: (layer) => layer.kind === 'dense',
    format: (layer) => [String((layer as DenseLayer).units)],
  },
  ...activationKinds,
  dropout: {
    parameters: [{ name: 'p', kind: 'probability', default: '0.5' }],
    build: (a) => dropout((a.p as number | undefined) ?? 0.5), // nn.Dropout's default
    describes: (layer) => layer.kind === 'dropout',
    format: (layer) => [String((layer as DropoutLayer).p)],
  },
  conv2d: {
    parameters: [
      { name: 'out_channels', kind: 'count' }, { name: 'kernel_size', kind: 'size' },
      { name: 'stride', kind: 'count', default: '1' }, { name: 'padding', kind: 'nonnegative', default: '0' },
    ],
    build: (a) => conv2d(a.out_channels as number, a.kernel_size!, { stride: a.stride as number | undefined, padding: a.padding as number | undefined }),
    describes: (layer) => layer.kind === 'conv2d',
    format: (layer) => {
      const { channels, kernel, stride, padding } = layer as Conv2dLayer;
      return [String(channels), size(kernel), ...(stride !== 1 ? [`stride=${stride}`] : []), ...(padding ? [`padding=${padding}`] : [])];
    },
  },
  maxpool2d: pool('maxpool2d', maxPool2d),
  avgpool2d: pool('avgpool2d', avgPool2d),
  flatten: { parameters: [], build: () => flatten(), describes: (layer) => layer.kind === 'flatten', format: () => [] },
  batchnorm1d: batchNorm('batchnorm1d', batchNorm1d),
  batchnorm2d: batchNorm('batchnorm2d', batchNorm2d),
};

/** Other names PyTorch users write for an entry. */
const ALIASES: Readonly<Record<string, string>> = { linear: 'dense' };

/** A name as looked up: no case, no "-" or "_". */
const normalized = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');
const KIND_BY_NAME = new Map<string, string>([
  ...Object.keys(LAYER_KINDS).map((name): [string, string] => [normalized(name), name]),
  ...Object.entries(ALIASES).map(([alias, name]): [string, string] => [alias, name]),
]);

interface Token {
  type: 'name' | 'number' | '(' | ')' | ',' | '=' | 'other' | 'end';
  text: string;
  /** 1-based column of its first character. */
  column: number;
}

// Spaces, then a name, a number, a punctuation mark or any other character (an error).
const TOKEN = /\s*(?:([A-Za-z][\w-]*)|([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|([(),=])|(\S))/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = TOKEN.exec(text))) { // null at the end, after any trailing spaces
    const [whole, name, number, punctuation, other] = match;
    const token = name ?? number ?? punctuation ?? other;
    const column = match.index + whole.length - token.length + 1;
    const type = name !== undefined ? 'name' : number !== undefined ? 'number' : other !== undefined ? 'other' : (punctuation as Token['type']);
    if (type === 'other') throw syntaxError({ type, text: token, column }, 'not a character of a layer list');
    tokens.push({ type, text: token, column });
  }
  tokens.push({ type: 'end', text: '', column: text.length + 1 });
  return tokens;
}

function syntaxError(token: Token, problem: string): ValueError {
  const where = token.type === 'end' ? `the end (column ${token.column})` : `'${token.text}' at column ${token.column}`;
  return new ValueError(`${where}: ${problem}`);
}

/** A layer's signature as help and errors show it: conv2d(out_channels, kernel_size, stride=1, padding=0). */
function signature(name: string): string {
  const { parameters } = LAYER_KINDS[name];
  if (parameters.length === 0) return name;
  return `${name}(${parameters.map((p) => (p.default !== undefined ? `${p.name}=${p.default}` : p.name)).join(', ')})`;
}

const integerAtLeast = (v: number, least: number) => Number.isInteger(v) && v >= least;

/** What a single number of each kind must be, and how an error says it. */
const SCALAR_KINDS: Readonly<Record<ValueKind, { accepts: (v: number) => boolean; want: string }>> = {
  count: { accepts: (v) => integerAtLeast(v, 1), want: 'a positive integer' },
  size: { accepts: (v) => integerAtLeast(v, 1), want: 'a positive integer or a pair (height,width)' },
  nonnegative: { accepts: (v) => integerAtLeast(v, 0), want: 'an integer >= 0' },
  probability: { accepts: (v) => v >= 0 && v < 1, want: 'a number in [0, 1)' },
  positive: { accepts: (v) => v > 0 && Number.isFinite(v), want: 'a number > 0' },
  fraction: { accepts: (v) => v >= 0 && v <= 1, want: 'a number in [0, 1]' },
};

function checkValue(value: Value, parameter: Parameter, token: Token): Value {
  if (Array.isArray(value)) {
    if (parameter.kind !== 'size') throw syntaxError(token, `${parameter.name} takes one number, not a pair`);
    if (!value.every((v) => integerAtLeast(v, 1))) throw syntaxError(token, `${parameter.name} must be positive integers`);
    return value;
  }
  if (!SCALAR_KINDS[parameter.kind].accepts(value)) throw syntaxError(token, `${parameter.name} must be ${SCALAR_KINDS[parameter.kind].want}`);
  return value;
}

/** One layer of a parsed list, with where it was written (for errors that concern it). */
export interface ParsedLayer {
  layer: LayerSpec;
  /** The layer as written, e.g. "conv2d(16,5)". */
  text: string;
  /** 1-based column where it starts. */
  column: number;
}

/** Parses a layer list; a syntax error is a ValueError naming the token and its column. */
export function parseLayerList(text: string): ParsedLayer[] {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];
  const expect = (type: Token['type'], what: string): Token => {
    if (peek().type !== type) throw syntaxError(peek(), `expected ${what}`);
    return next();
  };
  const number = (): number => Number(expect('number', 'a number').text);
  const value = (): Value => {
    if (peek().type !== '(') return number();
    next();
    const pair: [number, number] = [number(), 0];
    expect(',', "',' between the two numbers of a pair");
    pair[1] = number();
    expect(')', "')' after the pair's second number");
    return pair;
  };
  const layers: ParsedLayer[] = [];
  const names = Object.keys(LAYER_KINDS).join(', ');
  if (peek().type === 'end') throw syntaxError(peek(), `expected a layer (${names})`);
  while (peek().type !== 'end') {
    const start = expect('name', `a layer name (${names})`);
    const name = KIND_BY_NAME.get(normalized(start.text));
    if (name === undefined) throw syntaxError(start, `unknown layer: expected one of ${names}`);
    const kind = LAYER_KINDS[name];
    const args: Record<string, Value | undefined> = {};
    let end = start;
    if (peek().type === '(') {
      next();
      let positional = 0;
      let keywordSeen = false;
      while (peek().type !== ')') {
        if (Object.keys(args).length > 0) expect(',', "',' or ')'");
        if (peek().type === ')') break; // a trailing comma, as Python allows
        const first = peek();
        let parameter: Parameter | undefined;
        if (first.type === 'name' && tokens[at + 1].type === '=') {
          parameter = kind.parameters.find((p) => p.name === first.text);
          if (!parameter) throw syntaxError(first, `${name} has no argument ${first.text}: ${signature(name)}`);
          if (args[parameter.name] !== undefined) throw syntaxError(first, `${parameter.name} is given twice`);
          keywordSeen = true;
          at += 2;
        } else {
          if (keywordSeen) throw syntaxError(first, 'a positional argument after a keyword argument');
          parameter = kind.parameters[positional++];
          if (!parameter) throw syntaxError(first, `${name} takes ${kind.parameters.length || 'no'} argument${kind.parameters.length === 1 ? '' : 's'}: ${signature(name)}`);
        }
        const valueToken = peek();
        args[parameter.name] = checkValue(value(), parameter, valueToken);
      }
      end = expect(')', "')'");
    }
    const missing = kind.parameters.find((p) => p.default === undefined && args[p.name] === undefined);
    if (missing) throw syntaxError(start, `${name} needs ${missing.name}: ${signature(name)}`);
    layers.push({ layer: kind.build(args), text: text.slice(start.column - 1, end.column - 1 + end.text.length), column: start.column });
    if (peek().type === ',') next();
  }
  return layers;
}

/** The layer descriptors of a layer list in text, e.g. parseLayers('dense(100) relu dense(10)'). */
export function parseLayers(text: string): LayerSpec[] {
  return parseLayerList(text).map((parsed) => parsed.layer);
}

/** The canonical text of a layer list: parseLayers(formatLayers(layers)) equals `layers`. */
export function formatLayers(layers: readonly LayerSpec[]): string {
  return layers.map((layer) => {
    const name = Object.keys(LAYER_KINDS).find((key) => LAYER_KINDS[key].describes(layer));
    if (name === undefined) throw new ValueError(`${JSON.stringify(layer)} has no text form`);
    const args = LAYER_KINDS[name].format(layer);
    return args.length ? `${name}(${args.join(',')})` : name;
  }).join(' ');
}

/** Whether a layer list takes image rows: it has a layer that works on images. */
export function takesImages(layers: readonly LayerSpec[]): boolean {
  return layers.some((layer) => layer.kind === 'conv2d' || layer.kind === 'maxpool2d' || layer.kind === 'avgpool2d');
}

/**
 * Checks a parsed list as a network on rows of `imageShape` (flat rows of its size when the list
 * has no image layer): a problem with one layer names it as written and its column. Returns the
 * network's output width, for the caller to check against its targets.
 */
export function checkLayerList(parsed: readonly ParsedLayer[], imageShape: ImageShape): number {
  const layers = parsed.map((p) => p.layer);
  const input = imageShape[0] * imageShape[1] * imageShape[2];
  try {
    // 'mse' asks nothing of the output width, which is the caller's to check.
    const geometry = networkGeometry(input, layers, 'mse', takesImages(layers) ? imageShape : undefined);
    return geometry[geometry.length - 1].width;
  } catch (error) {
    // networkGeometry names a layer by its index: "layer 3 (dense) takes flat rows, …".
    const layer = error instanceof ValueError ? /^layer (\d+)(?: \([^)]*\))?:? ?/.exec(error.message) : null;
    if (!layer) throw error;
    const { text, column } = parsed[Number(layer[1])];
    throw new ValueError(`'${text}' at column ${column}: ${(error as ValueError).message.slice(layer[0].length)}`);
  }
}

/** The grammar in brief, for --help: every layer with its arguments. */
export function layerSignatures(): string[] {
  return Object.keys(LAYER_KINDS).map(signature);
}
