-- A password sign-in's reservation in one round trip: under a transaction-scoped advisory lock on
-- its key (the username), inserts the attempt's failure rows and returns, for each subject, the
-- failures inside the window as they were before this attempt (up to the subject's limit), whether
-- the pair is known, and the new rows' ids. The caller decides from these whether the attempt may
-- go ahead, and deletes the rows when it may not. Each statement of a volatile function takes a
-- new snapshot, so the counts, read after the lock is granted, see every attempt committed before.
CREATE FUNCTION sign_in_reserve(
  lock_key TEXT,
  subjects TEXT[],
  limits INTEGER[],
  window_seconds INTEGER,
  known_pair_hash TEXT,
  reserve TEXT[]
) RETURNS TABLE (
  subject TEXT,
  failures INTEGER,
  "newestAt" DOUBLE PRECISION,
  "oldestAt" DOUBLE PRECISION,
  now DOUBLE PRECISION,
  known BOOLEAN,
  reserved BIGINT[]
) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  ids BIGINT[];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(lock_key, 0));
  WITH inserted AS (
    INSERT INTO sign_in_failures (subject, occurred_at) SELECT unnest(reserve), clock_timestamp() RETURNING id
  )
  SELECT coalesce(array_agg(id), '{}') INTO ids FROM inserted;
  RETURN QUERY
    SELECT s.subject,
           count(f.occurred_at)::int,
           (extract(epoch FROM max(f.occurred_at)) * 1000)::float8,
           (extract(epoch FROM min(f.occurred_at)) * 1000)::float8,
           (extract(epoch FROM clock_timestamp()) * 1000)::float8,
           EXISTS (SELECT 1 FROM sign_in_known_pairs k WHERE k.pair_hash = known_pair_hash AND k.expires_at > clock_timestamp()),
           ids
    FROM unnest(subjects, limits) AS s(subject, lim)
    LEFT JOIN LATERAL (
      SELECT x.occurred_at FROM sign_in_failures x
      WHERE x.subject = s.subject
        AND x.occurred_at > clock_timestamp() - make_interval(secs => window_seconds)
        AND x.id <> ALL (ids)
      ORDER BY x.occurred_at DESC
      LIMIT s.lim
    ) f ON true
    GROUP BY s.subject;
END
$$;
