/** The filters the service read from a question, above a search's results or an answer, with a way to undo them. */
import { understoodFilters, type QueryFilters } from '../../src/client/index.js';

export function UnderstoodNote({
  understood,
  onLiteral,
  literalLabel = 'Search the words as written',
  busy = false,
}: {
  understood: QueryFilters;
  /** Asks again with the words as written (`understand: false`); no button without it. */
  onLiteral?: () => void;
  literalLabel?: string;
  busy?: boolean;
}) {
  return (
    <div class="understood" data-testid="understood" role="status">
      <p>
        Read from your question: {understoodFilters(understood)}
        {understood.dropped
          ? ' — these filters matched nothing, so the results are unfiltered.'
          : ` · searched: "${understood.query}"`}
      </p>
      {onLiteral && (
        <button type="button" class="secondary small-button" disabled={busy} onClick={onLiteral}>
          {literalLabel}
        </button>
      )}
    </div>
  );
}
