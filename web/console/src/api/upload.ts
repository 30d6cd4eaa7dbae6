// A file goes from the browser straight to S3 with the document's presigned POST: the form's fields, then the file
// (last, as S3 requires). XMLHttpRequest rather than fetch, for its upload progress events.
import type { UploadTicket } from "./client";
import { ApiError } from "./errors";

/** Sends `file` with `ticket`; `onProgress` gets the share sent (0 to 1) as it goes. */
export function sendFile(ticket: UploadTicket, file: Blob, onProgress: (share: number) => void): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append("file", file);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(ticket.method ?? "POST", ticket.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new ApiError(s3Message(request.responseText, request.status), request.status, "upload_refused"));
      }
    });
    request.addEventListener("error", () =>
      reject(new ApiError("The upload could not reach the storage (network or CORS).", 0, "upload_failed")),
    );
    request.send(form);
  });
}

/** S3's `<Error><Message>` sentence, or the status when there is none. */
export function s3Message(xml: string, status: number): string {
  const found = /<Message>([^<]*)<\/Message>/.exec(xml);
  return found ? `The storage refused the file: ${found[1]}` : `The storage refused the file (${status}).`;
}
