import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import type { InferenceSession } from 'onnxruntime-node';
import { diskModelHandler } from '../ml/model-io';
import { createSession, loadOrt, type Ort } from '../ml/onnx/onnx-engine';
import { channelsFirst } from '../ml/preprocess';
import { initBackend, type BackendName } from '../ml/tf-runtime';
import type { CategoryBox } from './box-math';
import type { DecoderKind, OutputTensor } from './decode';
import { detectorInput, outputBoxes } from './detector-output';
import { detectorFileOptions, type DetectorSpec } from './detector-spec';
import { readFileSafe } from '../util/safe-fs';
import { letterbox, type DetectorSource, type Letterboxed } from './letterbox';

export { detectorInput } from './detector-output';

/** Runs a detector network on one letterboxed input ([h, w, 3] floats) and returns its output. */
export interface DetectorRuntime {
  readonly engine: 'onnx' | 'tfjs';
  readonly backend: BackendName | null;
  run(input: Float32Array): Promise<OutputTensor>;
  dispose(): void;
}

/** The detector network on ONNX Runtime. */
class OnnxRuntime implements DetectorRuntime {
  readonly engine = 'onnx' as const;
  readonly backend = null;
  constructor(
    private readonly session: InferenceSession,
    private readonly ort: Ort,
    private readonly spec: DetectorSpec,
  ) {}

  async run(input: Float32Array): Promise<OutputTensor> {
    const [h, w] = this.spec.inputSize;
    const tensor =
      this.spec.layout === 'NCHW'
        ? new this.ort.Tensor('float32', channelsFirst(input, 1, h, w), [1, 3, h, w])
        : new this.ort.Tensor('float32', input, [1, h, w, 3]);
    const name = this.spec.input ?? this.session.inputNames[0] ?? '';
    const result = await this.session.run({ [name]: tensor });
    const out = result[this.spec.output ?? this.session.outputNames[0] ?? ''];
    if (!out) throw new Error('The detector gave no output');
    return { data: out.data as Float32Array, dims: out.dims };
  }

  dispose(): void {
    void this.session.release();
  }
}

/** The detector network as a TF.js graph model (the stand-in and other TF.js detectors). */
class TfjsRuntime implements DetectorRuntime {
  readonly engine = 'tfjs' as const;
  constructor(
    private readonly model: GraphModel,
    private readonly spec: DetectorSpec,
    readonly backend: BackendName,
  ) {}

  async run(input: Float32Array): Promise<OutputTensor> {
    const [h, w] = this.spec.inputSize;
    const x = tf.tensor4d(input, [1, h, w, 3]);
    try {
      const out = this.model.execute(x, this.spec.output) as tf.Tensor;
      try {
        return { data: (await out.data()) as Float32Array, dims: out.shape };
      } finally {
        out.dispose();
      }
    } finally {
      x.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Starts the runtime a detector needs: ONNX Runtime for .onnx files, TF.js for graph models. */
export async function createDetectorRuntime(
  spec: DetectorSpec,
  backend: BackendName | null = null,
  threads?: number,
): Promise<DetectorRuntime> {
  if (spec.format === 'onnx') {
    const ort = await loadOrt();
    const session = await createSession(
      await readFileSafe(spec.file, detectorFileOptions(spec)),
      threads,
    );
    return new OnnxRuntime(session, ort, spec);
  }
  const active = await initBackend(backend);
  const model = await loadGraphModel(diskModelHandler(spec.file));
  return new TfjsRuntime(model, spec, active);
}

/** The boxes of one image, and its oriented size. */
export interface ImageDetections {
  width: number;
  height: number;
  boxes: CategoryBox[];
}

/** A detector ready to run: its network, its decoding and category map. */
export class Detector {
  private decoder: DecoderKind | null;

  constructor(
    readonly spec: DetectorSpec,
    readonly runtime: DetectorRuntime,
    /** Boxes under this confidence are dropped (kept low: the threshold is chosen later). */
    private readonly minConfidence = 0.05,
  ) {
    this.decoder = spec.decoder === 'auto' ? null : spec.decoder;
  }

  /**
   * Decodes and letterboxes an image: encoded bytes, or pixels already decoded (a DICOM
   * frame through library/image-source.ts). Sharp's threads; can run ahead of `infer`.
   */
  prepare(source: DetectorSource): Promise<Letterboxed> {
    return letterbox(source, this.spec.inputSize);
  }

  /** Runs the network on a letterboxed image and returns its boxes, normalised to the image. */
  async infer(prepared: Letterboxed): Promise<ImageDetections> {
    const out = await this.runtime.run(detectorInput(prepared.rgb, this.spec.divisor));
    const read = outputBoxes(
      out,
      this.decoder,
      this.spec.classMap,
      prepared.geometry,
      this.minConfidence,
    );
    this.decoder = read.decoder;
    const { width, height } = prepared.geometry;
    return { width, height, boxes: read.boxes };
  }

  /** Detects in one image (its bytes, or its decoded pixels). */
  async detect(source: DetectorSource): Promise<ImageDetections> {
    return this.infer(await this.prepare(source));
  }

  dispose(): void {
    this.runtime.dispose();
  }
}

/** Loads a detector and its runtime. */
export async function createDetector(
  spec: DetectorSpec,
  options: { backend?: BackendName | null; minConfidence?: number; threads?: number } = {},
): Promise<Detector> {
  const runtime = await createDetectorRuntime(spec, options.backend ?? null, options.threads);
  return new Detector(spec, runtime, options.minConfidence);
}
