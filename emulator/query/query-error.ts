/** The error every stage of the query engine raises for a query the service would answer with 400. */

/**
 * Any problem with a query's text. `message` is the Cosmos message plus what the parser expected and where;
 * {@link cosmosMessage}, {@link start}, {@link end} and {@link code} are what the Cosmos gateway reports
 * (see {@link toCosmosError}).
 */
export class QuerySyntaxError extends Error {
  override readonly name = "QuerySyntaxError";
  /** The message alone, as Cosmos words it, e.g. `Syntax error, incorrect syntax near 'FORM'.` */
  readonly cosmosMessage: string;
  /** Character range of the offending token or expression in the query text. */
  readonly start: number;
  readonly end: number;
  /** Cosmos error code: SC1001 for syntax errors, SC2xxx for semantic ones. */
  readonly code: string;
  /** What the parser expected at that point, when it knows. */
  readonly expected?: string;

  /**
   * @param expected what was expected instead (appended to the message as `Expected ... at position n.`)
   * @param detail free-form explanation appended to the message when there is no `expected`
   */
  constructor(
    cosmosMessage: string,
    start: number,
    end: number,
    code = "SC1001",
    expected?: string,
    detail?: string,
  ) {
    super(
      expected !== undefined
        ? `${cosmosMessage} Expected ${expected} at position ${start}.`
        : detail !== undefined
          ? `${cosmosMessage} ${detail} (at position ${start})`
          : `${cosmosMessage} (at position ${start})`,
    );
    this.cosmosMessage = cosmosMessage;
    this.start = start;
    this.end = end;
    this.code = code;
    this.expected = expected;
  }

  /** The entry Cosmos puts in the `errors` array of a 400 response for this query. */
  toCosmosError(): {
    severity: "Error";
    location: { start: number; end: number };
    code: string;
    message: string;
  } {
    return {
      severity: "Error",
      location: { start: this.start, end: this.end },
      code: this.code,
      message: this.cosmosMessage,
    };
  }
}
