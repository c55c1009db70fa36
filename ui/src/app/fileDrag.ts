/** Files dragged onto a drop zone from the desktop (not text or links dragged within the page). */

/**
 * Accepts a drag that carries files, to be copied in: true when it does
 * (the zone then shows it can take them), false for any other drag.
 */
export function acceptFileDrag(event: DragEvent): boolean {
  if (!(event.dataTransfer?.types.includes("Files") ?? false)) return false;
  event.preventDefault();
  if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  return true;
}
