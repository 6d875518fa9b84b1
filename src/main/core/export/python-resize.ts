import type { PreprocessingSpec } from '../ml/zoo-types';

/**
 * The model card's Python resizing, written to give the pixels the app's sharp (libvips) gives:
 * Pillow's plain `resize` samples another grid (libvips centres its grid on the image and
 * enlarges from pixel corners), and libvips decodes big JPEGs at 1/2, 1/4 or 1/8 size first
 * (libjpeg's scaled decoding, which Pillow's `draft` uses too), so a plain Pillow resize differed
 * by 3–11 levels on average, up to 0.3 in a probability, on pictures far from the input size.
 * Measured against the app in tests/unit/main/core/export/model-card-python.test.ts.
 */

/** One axis resampled as libvips does: box average by whole factors, then bicubic (Catmull-Rom). */
const RESAMPLE = `def resample(image, axis, out, shrink):
    """One axis (0: x, 1: y) as the app's libvips resamples it: a box average by whole factors,
    then bicubic on a grid centred on the image; enlarging samples from pixel corners."""
    if shrink >= 4:
        k = int(shrink // 2)
        w, h = image.size
        image = image.crop((0, 0, w // k * k, h) if axis == 0 else (0, 0, w, h // k * k))
        image, shrink = image.reduce((k, 1) if axis == 0 else (1, k)), shrink / k
    w, h = image.size
    start = 4 + ((image.size[axis] - out * shrink) / 2 if shrink > 1 else -0.5 * shrink)
    box = (start, 0, start + out * shrink, h) if axis == 0 else (0, start, w, start + out * shrink)
    pad = [(0, 0), (4, 4), (0, 0)] if axis == 0 else [(4, 4), (0, 0), (0, 0)]  # edges repeat
    padded = Image.fromarray(np.pad(np.asarray(image), pad, mode="edge"))
    return padded.resize((out, h) if axis == 0 else (w, out), Image.BICUBIC, box=box)`;

/** Turning a resized picture upright by its EXIF orientation, as libvips does after resizing. */
const UPRIGHT = `TURN = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}

def scaled(image, W, H, s, orientation):
    """Resampled as stored by a factor s of an upright W×H, then turned upright, as the app."""
    w, h = image.size
    rw, rh = max(1, round(w / s)), max(1, round(h / s))
    image = resample(resample(image, 0, rw, s), 1, rh, s)
    return image.transpose(TURN[orientation]) if orientation in TURN else image`;

/** The `resize(image, W, H, orientation)` of each fit, as sharp's cover, contain and fill do it. */
const FITS: Record<PreprocessingSpec['resize'], string> = {
  'center-crop': `def resize(image, W, H, orientation=1):  # as the app: cover W×H, cut the centre
    w, h = image.size if orientation < 5 else image.size[::-1]
    image = scaled(image, W, H, min(w / W, h / H), orientation)
    rw, rh = image.size
    left, top = (rw - W + 1) // 2, (rh - H + 1) // 2
    return image.crop((left, top, left + W, top + H))`,
  letterbox: `def resize(image, W, H, orientation=1):  # as the app: fit inside W×H, centred on black
    w, h = image.size if orientation < 5 else image.size[::-1]
    image = scaled(image, W, H, max(w / W, h / H), orientation)
    rw, rh = image.size
    canvas = Image.new("RGB", (W, H), "black")
    canvas.paste(image, ((W - rw) // 2, (H - rh) // 2))
    return canvas`,
  squash: `def resize(image, W, H, orientation=1):  # as the app: stretch to W×H
    w, h = image.size
    TW, TH = (W, H) if orientation < 5 else (H, W)  # the target as the picture is stored
    image = resample(resample(image, 0, TW, w / TW), 1, TH, h / TH)
    return image.transpose(TURN[orientation]) if orientation in TURN else image`,
};

/** The input size and the functions the snippet resizes with. */
export function pythonResizeDefs(p: PreprocessingSpec): string {
  const [h, w] = p.inputSize;
  return `W, H = ${w}, ${h}  # the network's input (width, height)

${RESAMPLE}

${UPRIGHT}

${FITS[p.resize]}`;
}

/**
 * Opening the photo. A whole JPEG is decoded at the reduced size libvips would pick (the
 * largest of 8, 4, 2 that the shrink reaches, one step less when the shrink is exactly that
 * whole number; whole pixels only). A box crop is cut from the full-size picture, as the app
 * cuts it, so it opens at full size.
 */
export function pythonOpen(p: PreprocessingSpec, box: boolean): string {
  if (box) return 'image = ImageOps.exif_transpose(Image.open("photo.jpg"))';
  const shrink = p.resize === 'letterbox' ? 'max' : 'min';
  return `image = Image.open("photo.jpg")
if image.format == "JPEG":  # libvips decodes a big JPEG at 1/2, 1/4 or 1/8 size: so does this
    w, h = image.size if image.getexif().get(0x0112, 1) < 5 else image.size[::-1]
    s = ${shrink}(w / W, h / H)
    n = next((n for n in (8, 4, 2) if s >= n), 1)
    n = n // 2 if n > 1 and int(s) == n else n
    if n > 1:
        size = (image.size[0] // n, image.size[1] // n)
        image.draft(image.mode, size)
        image = image.crop((0, 0, *size))  # whole pixels, as libvips keeps
orientation = image.getexif().get(0x0112, 1)  # turned upright after resizing, as the app does`;
}

/** The resize line: a whole picture by its orientation, a box crop (cut upright) as it is. */
export function pythonResize(box: boolean): string {
  return box ? 'image = resize(image, W, H)' : 'image = resize(image, W, H, orientation)';
}
