-- Hashes of the event_ids whose events base_events must check one by one:
-- ids that occur more than once in the landing events file, over the whole
-- file (reading the event_id column only), in full and incremental runs
-- alike. An incremental run needs no more: the ids of its window that are
-- repeated are among them, and an id repeated only in earlier days was
-- checked one by one when those days were processed (base_events re-reads
-- the whole file when a repeated id is not stored as checked). Counting
-- only the window's ids against the file took longer than this one sorted
-- pass, and had to wait for base_event_days. A hash collision only sends a
-- few more events down the per-row path.

with keys as (
    -- Rows without an event_id share one hash, so they are checked one by
    -- one too (they are quarantined as missing_required anyway).
    select {{ key_hash(clean_text('event_id')) }} as event_key_hash
    from {{ landing_relation('events') }}
),

final as (
    {{ repeated_values('keys', 'event_key_hash') }}
)

select * from final
