/** An error with an HTTP status that the client caused (4xx): answered as JSON, not reported as an incident. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: 400 | 404 | 409 | 422 | 503,
    message: string,
  ) {
    super(message);
  }
}
