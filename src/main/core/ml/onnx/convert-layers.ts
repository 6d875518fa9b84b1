/**
 * TF.js Layers model → ONNX: walks the Keras graph from the feature layer back to the input,
 * converting each layer (see layer-converters.ts), and ends in the embedding Ocellus uses
 * (the global-average-pooled feature map) or, with a head, in class probabilities.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { OcellusError } from '../../../../shared/errors';
import type { HeadWeights } from '../../model/head';
import { findFeatureLayer } from '../feature-model';
import {
  LAYER_CONVERTERS,
  UnsupportedLayer,
  shortWeightName,
  type ConvertContext,
  type LayerView,
  type Value,
} from './layer-converters';
import { GraphBuilder } from './onnx-graph';

/** The graph's input: [batch, h, w, 3] float32, NHWC as Ocellus prepares images. */
export const ONNX_INPUT = 'input';
export const ONNX_EMBEDDING = 'embedding';
export const ONNX_PROBABILITIES = 'probabilities';

export interface OnnxConversion {
  bytes: Uint8Array;
  featureLayer: string;
  /** Embedding length. */
  size: number;
  inputSize: [number, number];
  /** Number of ONNX nodes, for the log. */
  nodes: number;
}

/** The model has layers the converter cannot express; `layers` names each one. */
export class UnsupportedModelError extends OcellusError {
  constructor(readonly layers: string[]) {
    super(
      'UNSUPPORTED',
      `Cannot convert to ONNX: unsupported layer${layers.length === 1 ? '' : 's'} ${layers.join('; ')}`,
      { layers },
    );
  }
}

/** Converts `model` cut at its feature output into an ONNX embedding model. */
export function convertFeatureModel(model: LayersModel, featureOutput = 'auto'): OnnxConversion {
  return convert(model, featureOutput, null);
}

/**
 * The whole classifier as ONNX: base cut at its feature output, then Ocellus's head (Dense
 * ReLU → Dense softmax, dropout being identity at inference); image tensor in, probabilities out.
 */
export function buildClassifierOnnx(
  model: LayersModel,
  featureOutput: string,
  head: HeadWeights,
): Uint8Array {
  return convert(model, featureOutput, head).bytes;
}

// eslint-disable-next-line max-lines-per-function -- one iterative walk over the layers into one graph builder, sharing its visited map, use counts and failure list.
function convert(
  model: LayersModel,
  featureOutput: string,
  head: HeadWeights | null,
): OnnxConversion {
  const { name: featureLayer, output } = findFeatureLayer(model, featureOutput);
  const inputTensor = model.inputs[0];
  if (model.inputs.length !== 1 || !inputTensor) {
    throw new UnsupportedModelError([`${model.name} (Model): ${model.inputs.length} inputs`]);
  }
  const [, h, w, c] = inputTensor.shape;
  if (typeof h !== 'number' || typeof w !== 'number' || c !== 3) {
    throw new UnsupportedModelError([
      `${inputTensor.sourceLayer.name} (InputLayer): input shape ${JSON.stringify(inputTensor.shape)}, not [n, h, w, 3]`,
    ]);
  }
  const g = new GraphBuilder();
  const uses = useCounts(model);
  const usesByName = new Map<string, number>();
  const ctx: ConvertContext = { g, soleUse: (v) => (usesByName.get(v) ?? 0) <= 1 };
  const done = new Map<number, Value>();
  const failures: string[] = [];

  const inputName = g.addInput(ONNX_INPUT, ['N', h, w, 3]);
  const nchw = g.op('Transpose', [inputName], 'input_nchw', { perm: [0, 3, 1, 2] });

  // Iterative post-order walk: deep networks would overflow a recursive one.
  const visit = (root: SymbolicTensor): Value | null => {
    const stack: SymbolicTensor[] = [root];
    while (stack.length > 0) {
      const t = stack[stack.length - 1] as SymbolicTensor;
      if (done.has(t.id)) {
        stack.pop();
        continue;
      }
      const layer = t.sourceLayer;
      if (layer.getClassName() === 'InputLayer') {
        done.set(t.id, { name: nchw, shape: t.shape });
        stack.pop();
        continue;
      }
      const node = layer.inboundNodes[t.nodeIndex];
      const ins = node?.inputTensors ?? [];
      const pending = ins.filter((i) => !done.has(i.id));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      const inputs = ins.map((i) => done.get(i.id) as Value);
      const name = convertLayer(ctx, layer, t, inputs, failures);
      const n = uses.get(t.id) ?? 0;
      // An identity layer hands on its input's value: its readers count for that value too.
      usesByName.set(
        name,
        (usesByName.get(name) ?? 0) + (inputs.some((v) => v.name === name) ? n - 1 : n),
      );
      done.set(t.id, { name, shape: t.shape });
    }
    return done.get(root.id) ?? null;
  };

  const feature = visit(output);
  if (failures.length > 0 || !feature) throw new UnsupportedModelError(failures);

  let embedding: string;
  if (feature.shape.length === 4) {
    const pooled = g.op('GlobalAveragePool', [feature.name], `${featureLayer}/gap`);
    embedding = g.op('Flatten', [pooled], head ? `${featureLayer}/embedding` : ONNX_EMBEDDING, {
      axis: 1,
    });
  } else if (feature.shape.length === 2) {
    embedding = head ? feature.name : g.op('Identity', [feature.name], ONNX_EMBEDDING);
  } else {
    embedding = g.op(
      'Flatten',
      [feature.name],
      head ? `${featureLayer}/embedding` : ONNX_EMBEDDING,
      { axis: 1 },
    );
  }
  const size =
    Number(feature.shape[feature.shape.length - 1]) *
    (feature.shape.length === 3 ? Number(feature.shape[1]) : 1);
  if (!head) {
    g.addOutput(embedding, ['N', size]);
  } else {
    if (head.dim !== size) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `The head expects ${head.dim}-d embeddings; ${featureLayer} gives ${size}`,
      );
    }
    const hidden = g.op(
      'Gemm',
      [
        embedding,
        g.weight('head/dense1/W', [head.dim, head.hidden], head.w1),
        g.weight('head/dense1/B', [head.hidden], head.b1),
      ],
      'head/dense1',
    );
    const relu = g.op('Relu', [hidden], 'head/relu');
    const logits = g.op(
      'Gemm',
      [
        relu,
        g.weight('head/dense2/W', [head.hidden, head.classes], head.w2),
        g.weight('head/dense2/B', [head.classes], head.b2),
      ],
      'head/dense2',
    );
    const probs = g.op('Softmax', [logits], ONNX_PROBABILITIES, { axis: 1 });
    g.addOutput(probs, ['N', head.classes]);
  }
  return {
    bytes: g.encode(
      model.name,
      `${model.name} cut at ${featureLayer}${head ? ' + Ocellus head' : ''}`,
    ),
    featureLayer,
    size,
    inputSize: [h, w],
    nodes: g.nodes.length,
  };
}

function convertLayer(
  ctx: ConvertContext,
  layer: SymbolicTensor['sourceLayer'],
  t: SymbolicTensor,
  inputs: Value[],
  failures: string[],
): string {
  const className = layer.getClassName();
  const converter = LAYER_CONVERTERS[className];
  const fallback = inputs[0]?.name ?? 'missing';
  if (!converter) {
    failures.push(`${layer.name} (${className})`);
    return fallback;
  }
  if (layer.inboundNodes.length > 1 || t.tensorIndex !== 0) {
    failures.push(`${layer.name} (${className}): shared layer or several outputs`);
    return fallback;
  }
  const tensors: Tensor[] = layer.getWeights();
  const weights = new Map<string, Tensor>();
  layer.weights.forEach((v, i) => {
    const tensor = tensors[i];
    if (tensor) weights.set(shortWeightName(v.originalName), tensor);
  });
  const view: LayerView = {
    name: layer.name,
    className,
    config: layer.getConfig() as Record<string, unknown>,
    weights,
    outputShape: t.shape,
  };
  // getWeights() hands out the layer's own variables: read them, never dispose them.
  try {
    return converter(ctx, view, inputs);
  } catch (err) {
    if (err instanceof UnsupportedLayer) failures.push(err.message);
    else
      failures.push(
        `${layer.name} (${className}): ${err instanceof Error ? err.message : String(err)}`,
      );
    return fallback;
  }
}

/** How many layer inputs read each symbolic tensor (the model's outputs count once more). */
function useCounts(model: LayersModel): Map<number, number> {
  const uses = new Map<number, number>();
  const bump = (t: SymbolicTensor) => uses.set(t.id, (uses.get(t.id) ?? 0) + 1);
  for (const layer of model.layers) {
    for (const node of layer.inboundNodes) node.inputTensors.forEach(bump);
  }
  model.outputs.forEach(bump);
  return uses;
}
