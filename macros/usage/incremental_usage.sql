{#-
    Incremental bookkeeping of the events path (base_events → int_usage_daily).

    base_events folds the landing events in one pass. A run re-reads the
    landing file but re-processes only the events from `usage_lookback_days`
    before the newest stored day (on or before as_of_date) onwards — or from
    the first earlier day for which the landing file now holds a different
    number of events than base_events (base_event_days), so late events of
    any age are taken in. Before any time is parsed, a cheap test of the raw
    text (event_time_text_may_reach) skips the rows whose text starts with a
    date more than two days before that day: a parsed time moves at most a
    day from the date written (UTC offsets), so no skipped row can belong to
    the window. Rows whose time does not parse are re-processed every run
    unless their text starts with such an old date; a new or removed one of
    those changes the count of unparseable rows, which re-processes the
    whole file. When an event_id that was
    folded earlier reappears in the landing (a new duplicate key), the whole
    file is re-processed, so that both copies are judged together — as a
    full refresh would. Everything a run wrote carries its run time
    (`_loaded_at`) and the first day it re-processed (`_reprocessed_from`),
    also recorded in staging.incremental_batches; int_usage_daily and its
    rollups re-aggregate from the first day of the batches since the one
    they last read (usage_reprocess_from).

    Needs --full-refresh: rows edited in place (same count per day) in the
    landing file before the window, a change of valuable_events, customers
    added for events already quarantined as unknown_customer.
-#}

{#- A date as 'YYYY-MM-DD', or none: the first day base_events re-processes
    in this run (none = everything: first run, full refresh, new duplicate
    keys, or nothing stored on or before as_of_date). -#}
{% macro events_reprocess_from() %}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set probe -%}
        select count(*)
        from {{ ref('base_event_repeated_keys') }} as repeated
        where not exists (
            select 1
            from {{ this }} as stored
            where
                stored.row_kind = 'event'
                and {{ key_hash(clean_text(json_text_field('stored._review_record', 'event_id'))) }}
                = repeated.event_key_hash
        )
    {%- endset -%}
    {%- if run_query(probe).rows[0][0] > 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(events_window_start(this)) }}
{% endmacro %}


{#- The stored base_events table, found from base_event_days (same
    schema), which runs before it and cannot ref it (a cycle); none when
    absent, on a full refresh, or where it is a plain table. -#}
{% macro stored_base_events() %}
    {%- if not execute or flags.FULL_REFRESH or usage_materialization() != 'incremental' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=this.database, schema=this.schema, identifier='base_events')) }}
{% endmacro %}


{#- The first day to re-process given the stored base_events (none =
    everything): `usage_lookback_days` before the newest stored day on or
    before as_of_date, or earlier when the landing file holds a different
    number of events for an earlier day than base_events does (late events,
    new copies of old events, removed rows). -#}
{% macro events_window_start(stored) %}
    {%- if stored is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set probe -%}
        with stored_days as (
            select usage_date, sum(events) as stored_rows
            from {{ stored }}
            where usage_date is not null
            group by usage_date
        ),

        changed as (
            select min(coalesce(landing.usage_date, stored_days.usage_date)) as first_changed_day
            from {{ ref('base_event_days') }} as landing
            full outer join stored_days
                on landing.usage_date = stored_days.usage_date
            where coalesce(landing.landing_rows, 0) != coalesce(stored_days.stored_rows, 0)
        )

        select
            (
                select max(usage_date) from {{ stored }}
                where row_kind = 'user_day' and usage_date <= {{ as_of_date() }}
            ) as newest_day,
            (select first_changed_day from changed) as first_changed_day,
            (
                select coalesce(sum(landing_rows), 0) from {{ ref('base_event_days') }}
                where usage_date is null
            )
            != (select count(*) from {{ stored }} where usage_date is null) as untimed_rows_changed
    {%- endset -%}
    {%- set found = run_query(probe).rows[0] -%}
    {%- if found[0] is none or found[2] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set start = found[0] - modules.datetime.timedelta(days=var('usage_lookback_days') | int) -%}
    {%- if found[1] is not none and found[1] < start -%}
        {%- set start = found[1] -%}
    {%- endif -%}
    {{ return(start.isoformat()) }}
{% endmacro %}


{#- The bookkeeping of the incremental event models (where they are
    incremental): table staging.incremental_batches, one row per run of
    base_events (`batch_at` = its `_loaded_at`, `reprocessed_from` = the
    first day it re-processed, 1900-01-01 for all) and per run of a model
    that reads its days (`read_batch_at` = the newest base_events batch
    there was when it ran). Written by the models' pre-hooks, inside their
    transaction: a model that fails records nothing. -#}
{% macro incremental_batches() %}
    {{ return(api.Relation.create(database=this.database, schema='staging', identifier='incremental_batches',
                                  type='table')) }}
{% endmacro %}

{#- Pre-hook SQL: create staging.incremental_batches when missing. -#}
{% macro create_incremental_batches() %}
    {%- if usage_materialization() != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {{ return('create table if not exists ' ~ incremental_batches()
              ~ ' (model_name varchar, batch_at timestamp, reprocessed_from date, read_batch_at timestamp)') }}
{% endmacro %}

{#- The pre-hooks of a reader of base_events' days, in this order: create
    the bookkeeping table, `delete_call` (Jinja of the delete, e.g.
    "delete_snapshot_windows()"), then record the run — last, because dbt
    renders each hook just before it runs, and the delete's
    usage_reprocess_from() must not see this run's own record. -#}
{% macro usage_reader_pre_hooks(delete_call) %}
    {{ return(["{{ create_incremental_batches() }}", "{{ " ~ delete_call ~ " }}", "{{ record_incremental_batch() }}"]) }}
{% endmacro %}

{#- Pre-hook SQL: record this run of the model. base_events records the
    first day it re-processes (`reprocessed_from`: none = all); a reader
    records the newest base_events batch it reads. The table keeps only what
    usage_reprocess_from() reads: a reader's newest record (it replaces the
    older one), and the base_events batches that some reader has not read
    yet (base_events drops the others). -#}
{% macro record_incremental_batch(reprocessed_from=none, reads_events=true) %}
    {%- if usage_materialization() != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set batches = incremental_batches() -%}
    {%- set this_model = "model_name = '" ~ this.identifier ~ "'" -%}
    {%- if reads_events -%}
        {%- set prune = 'delete from ' ~ batches ~ ' where ' ~ this_model -%}
        {%- set first_day = 'cast(null as date)' -%}
        {%- set read_batch = '(select max(batch_at) from ' ~ batches ~ " where model_name = 'base_events')" -%}
    {%- else -%}
        {%- set prune = 'delete from ' ~ batches ~ ' where ' ~ this_model ~ ' and batch_at <= '
                        ~ '(select min(read_batch_at) from ' ~ batches ~ ' where not ' ~ this_model ~ ')' -%}
        {%- set first_day = "cast('" ~ (reprocessed_from or '1900-01-01') ~ "' as date)" -%}
        {%- set read_batch = 'cast(null as timestamp)' -%}
    {%- endif -%}
    {{ return(prune ~ ';\ninsert into ' ~ batches ~ " select '" ~ this.identifier ~ "', " ~ run_started_literal()
              ~ ', ' ~ first_day ~ ', ' ~ read_batch) }}
{% endmacro %}


{#- The first day a reader of base_events' days (int_usage_daily and its
    rollups) must compute again in this run: the earliest day any
    base_events batch re-processed since the batch this model last read
    (staging.incremental_batches) — so a run that stopped between
    base_events and this model is caught up — or '9999-12-31' when no batch
    came since. None = everything: not incremental, never recorded, or a
    batch re-processed everything. -#}
{% macro usage_reprocess_from() %}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set batches = incremental_batches() -%}
    {%- if adapter.get_relation(database=batches.database, schema=batches.schema,
                                identifier=batches.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set probe -%}
        with last_read as (
            select max(read_batch_at) as read_batch_at
            from {{ batches }}
            where model_name = '{{ this.identifier }}'
        ),

        newer as (
            select batches.reprocessed_from
            from {{ batches }} as batches
            cross join last_read
            where batches.model_name = 'base_events' and batches.batch_at > last_read.read_batch_at
        )

        select
            (select read_batch_at from last_read) as read_batch_at,
            (select count(*) from newer) as newer_batches,
            (select min(reprocessed_from) from newer) as first_day
    {%- endset -%}
    {%- set found = run_query(probe).rows[0] -%}
    {%- if found[0] is none -%}
        {{ return(none) }}
    {%- elif found[1] == 0 -%}
        {{ return('9999-12-31') }}
    {%- elif found[2] is none or found[2].year <= 1900 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(found[2].isoformat()) }}
{% endmacro %}


{#- Pre-hook SQL: remove the stored rows a run re-processes — every row
    when `reprocess_from` is none, else the rows whose `day_column` is on or
    after it (and the rows `also_where` names). Nothing when the model is
    not incremental. -#}
{% macro delete_reprocessed_rows(reprocess_from, also_where=none, day_column='usage_date') %}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- if reprocess_from is none -%}
        {{ return('delete from ' ~ this) }}
    {%- endif -%}
    {%- set condition = day_column ~ " >= cast('" ~ reprocess_from ~ "' as date)" -%}
    {%- if also_where -%}
        {%- set condition = condition ~ ' or ' ~ also_where -%}
    {%- endif -%}
    {{ return('delete from ' ~ this ~ ' where ' ~ condition) }}
{% endmacro %}


{#- SQL condition: false only when the raw occurred_at text (as landed,
    not trimmed) starts with a YYYY-MM-DD date more than two days before
    `day`; such a row cannot parse to a time on or after `day` (an offset
    moves a time by less than two days), so an incremental run skips it
    without parsing. Null, and text that does not start like a date
    (no '-' at the 5th and 8th character; leading spaces included), is always
    kept. Written on the raw text with plain comparisons: the same test on
    trimmed text took six times longer on the events file. `text >= floor`
    equals `substr(text, 1, 10) >= floor` (floor has 10 characters) and
    the LIKE pattern tests both dashes at once: at `large` scale this
    filter takes half the time of three substr() tests. -#}
{% macro event_time_text_may_reach(text, day) -%}
    {%- set floor = (modules.datetime.date.fromisoformat(day) - modules.datetime.timedelta(days=2)).isoformat() -%}
    ({{ text }} >= '{{ floor }}'
        or {{ text }} is null
        or {{ text }} not like '____-__-%')
{%- endmacro %}


{#- Pre-hook SQL of base_events: remove the stored rows this run
    re-processes — the days from events_reprocess_from() on, and the rows
    without a time whose raw text the run reads again — and record the
    batch (one hook: both from the same events_reprocess_from()). -#}
{% macro delete_reprocessed_events() %}
    {%- set reprocess_from = events_reprocess_from() -%}
    {%- set record = record_incremental_batch(reprocess_from, reads_events=false) -%}
    {%- if reprocess_from is none -%}
        {%- set delete = delete_reprocessed_rows(none) -%}
    {%- else -%}
        {%- set raw_time = json_text_field('_review_record', 'occurred_at') -%}
        {%- set delete = delete_reprocessed_rows(reprocess_from,
            '(usage_date is null and ' ~ event_time_text_may_reach(raw_time, reprocess_from) ~ ')') -%}
    {%- endif -%}
    {{ return([delete, record] | reject('equalto', '') | join(';\n')) }}
{% endmacro %}


{#- The run's start time as a timestamp literal (the batch of a run). -#}
{% macro run_started_literal() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{#- A 64-bit hash of a text value (used to find repeated keys cheaply;
    a collision only sends rows to the careful per-row path). -#}
{% macro key_hash(expression) %}
    {{ return(adapter.dispatch('key_hash', 'subscription_metrics')(expression)) }}
{% endmacro %}

{% macro default__key_hash(expression) -%}
    hash({{ expression }})
{%- endmacro %}

{% macro spark__key_hash(expression) -%}
    xxhash64({{ expression }})
{%- endmacro %}


{#- The text value of a top-level key of a JSON object text (null when
    absent or JSON null). -#}
{% macro json_text_field(json_text, key) %}
    {{ return(adapter.dispatch('json_text_field', 'subscription_metrics')(json_text, key)) }}
{% endmacro %}

{% macro default__json_text_field(json_text, key) -%}
    json_extract_string({{ json_text }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__json_text_field(json_text, key) -%}
    get_json_object({{ json_text }}, '$.{{ key }}')
{%- endmacro %}


{#- The distinct values of `column` that occur more than once in `relation`.
    DuckDB: sorting the values and comparing neighbours needs far less
    memory than a hash table with one entry per value (100 million event
    ids), and is about three times faster under a 4 GB memory limit. -#}
{% macro repeated_values(relation, column) %}
    {{ return(adapter.dispatch('repeated_values', 'subscription_metrics')(relation, column)) }}
{% endmacro %}

{% macro default__repeated_values(relation, column) -%}
    select distinct {{ column }}
    from (
        select
            {{ column }},
            lag({{ column }}) over (order by {{ column }}) as previous_value
        from {{ relation }}
    ) as neighbours
    where {{ column }} = previous_value
{%- endmacro %}

{#- Spark: a window without partitions runs in one task; group instead. -#}
{% macro spark__repeated_values(relation, column) -%}
    select {{ column }}
    from {{ relation }}
    group by {{ column }}
    having count(*) > 1
{%- endmacro %}


{#- Incremental rollups of int_usage_daily (int_usage_weekly,
    int_usage_monthly, int_usage_snapshot_windows): the first day whose
    usage may differ from what the stored rows were built from — none
    (rebuild everything) on a first run, a full refresh, when a base_events
    batch since the rollup's last run re-processed everything, or when
    nothing is stored. It is the earliest of: the first day of the
    base_events batches since the rollup last ran (usage_reprocess_from:
    the days int_usage_daily re-aggregated since), and the date `probe_sql`
    selects (SQL after `select`, run first: from the stored table, the first
    day the stored rows do not cover; null = nothing usable stored). -#}
{% macro rollup_reprocess_from(probe_sql) %}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set reprocess_from = usage_reprocess_from() -%}
    {%- if reprocess_from is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query('select ' ~ probe_sql).rows[0][0] -%}
    {%- if found is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set first = modules.datetime.date.fromisoformat(reprocess_from) -%}
    {{ return([first, found] | min | string) }}
{% endmacro %}


{#- For int_usage_weekly / int_usage_monthly: the first day of the first
    `period` ('week' from Monday, 'month') this run re-aggregates (none =
    all): the periods holding a re-aggregated day, a day after the newest
    stored active day (new days, or days a later as_of_date takes in), or
    the day after as_of_date (it moved back: later days leave). -#}
{% macro period_rollup_reprocess_from(period) %}
    {%- set newest = 'max(last_active_date)' -%}
    {%- set day = rollup_reprocess_from(
        'cast(case when ' ~ newest ~ ' is not null then least('
        ~ dbt.dateadd('day', 1, newest) ~ ', ' ~ dbt.dateadd('day', 1, as_of_date()) ~ ') end as date) from ' ~ this) -%}
    {%- if day is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set day = modules.datetime.date.fromisoformat(day) -%}
    {%- if period == 'week' -%}
        {%- set day = day - modules.datetime.timedelta(days=day.weekday()) -%}
    {%- elif period == 'month' -%}
        {%- set day = day.replace(day=1) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("period_rollup_reprocess_from: period must be 'week' or 'month', not " ~ period) }}
    {%- endif -%}
    {{ return(day.isoformat()) }}
{% endmacro %}


{#- For int_usage_snapshot_windows: the first snapshot day this run
    computes (none = all): snapshot days on or after a day int_usage_daily
    re-aggregated (their windows hold it), and snapshot days of int_months
    not stored yet (a new as_of_date, a spine reaching further back). -#}
{% macro snapshot_windows_reprocess_from() %}
    {%- set probe -%}
        cast(case when (select count(*) from {{ this }}) > 0 then coalesce(
            (
                select min(evaluated_on) from {{ ref('int_months') }}
                where evaluated_on not in (select snapshot_date from {{ this }})
            ),
            cast('9999-12-31' as date)
        ) end as date)
    {%- endset -%}
    {{ return(rollup_reprocess_from(probe)) }}
{% endmacro %}


{#- Pre-hook SQL of int_usage_snapshot_windows: remove the snapshot days
    this run computes again and those no longer in int_months (an earlier
    as_of_date, or the previous one when it was not a month end). -#}
{% macro delete_snapshot_windows() %}
    {{ return(delete_reprocessed_rows(
        snapshot_windows_reprocess_from(),
        'snapshot_date not in (select evaluated_on from ' ~ ref('int_months') ~ ')',
        'snapshot_date')) }}
{% endmacro %}
