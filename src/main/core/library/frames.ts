/**
 * Multi-frame files (DICOM cine loops, stacks) are one image per frame. Each frame has its own
 * content key, which every cache (thumbnails, model inputs, embeddings, detections, labels kept
 * by content) uses as it uses a file's hash: the first frame keeps the file's hash, so a file
 * and its caches look exactly as before frames were items, and frame k ≥ 1 is `<hash>-f<k>`.
 * Derived from the file's hash rather than from the decoded pixels so that reading a file
 * (which hashes it as it streams) never has to decode every frame, and so that a key never
 * changes with a decoder's version.
 */
export function frameHash(fileHash: string, frame: number): string {
  return frame === 0 ? fileHash : `${fileHash}-f${frame}`;
}
