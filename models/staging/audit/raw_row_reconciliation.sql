-- Per landing table: the file's records, counted independently of the
-- reader (audit.landing_files) = clean + quarantined (+ exact duplicates,
-- which are quarantined with their own reason and counted apart).
-- Events: base_events folds the clean ones into user-days (`events` = how
-- many); the others are checked one by one in base_event_exceptions.
-- Stripe objects (docs/stripe.md): staged_rows counts the clean rows that
-- reached staging by what they became: a customer, a plan (price), a
-- subscription with at least one period, an item of a staged subscription,
-- an invoice; a product is read for its name. Prices may come from the
-- legacy plan file (stripe_price_object()).
{%- set tables = landing_tables() | rejectattr('table', 'equalto', 'events') | list %}
{%- set stripe_staged = {
    'customer': "select count(*) from " ~ ref('stg_customers'),
    stripe_price_object(): "select count(*) from " ~ ref('stg_plans'),
    'product': "select count(*) from " ~ ref('base_stripe_product') ~ " where quarantine_reason_code is null",
    'subscription': "select count(distinct subscription_id) from " ~ ref('stg_subscriptions'),
    'subscription_item': "select count(*) from " ~ ref('stripe_subscription_items')
        ~ " where quarantine_reason_code is null and subscription_id in (select subscription_id from "
        ~ ref('stg_subscriptions') ~ ")",
    'invoice': "select count(*) from " ~ ref('stg_invoices'),
} if source_system() == 'stripe' else {} %}

with files as (
    select * from {{ ref('landing_files') }}
),
{%- for table in tables %}
    {{ table.table }} as (
        select
            '{{ table.table }}' as source_table,
            (
                select files.file_records
                from files
                where files.source_table = '{{ table.table }}'
            ) as raw_rows,
            sum(case when quarantine_reason_code is null then 1 else 0 end) as clean_rows,
            {{ quarantine_counts() }}
        from {{ ref(table.base) }}
    ),
{%- endfor %}

folded_events as (
    select coalesce(sum(events), 0) as clean_events
    from {{ ref('base_events') }}
    where row_kind = 'user_day'
),

events as (
    select
        'events' as source_table,
        (
            select files.file_records
            from files
            where files.source_table = 'events'
        ) as raw_rows,
        (select folded_events.clean_events from folded_events)
        + coalesce(sum(case when quarantine_reason_code is null then 1 else 0 end), 0) as clean_rows,
        {{ quarantine_counts() }}
    from {{ ref('base_event_exceptions') }}
),

clean as (
    {%- for table in tables %}
        {%- if table.table in stripe_staged %}
            select
                '{{ table.table }}' as source_table,
                ({{ stripe_staged[table.table] }}) as staged_rows
        {%- else %}
            select
                '{{ table.table }}' as source_table,
                count(*) as staged_rows
            from {{ ref('stg_' ~ table.table) }}
        {%- endif %}
        union all
    {%- endfor %}
    select
        'events' as source_table,
        coalesce(sum(events), 0) as staged_rows
    from {{ ref('stg_event_user_days') }}
),

final as (
    select
        counted.source_table,
        files.source_file,
        files.file_encoding,
        counted.raw_rows,
        coalesce(counted.clean_rows, 0) as clean_rows,
        coalesce(counted.quarantined_rows, 0) as quarantined_rows,
        coalesce(counted.duplicates_removed, 0) as duplicates_removed,
        clean.staged_rows
    from (
        {%- for table in tables %}
            select * from {{ table.table }}
            union all
        {%- endfor %}
        select * from events
    ) as counted
    inner join clean
        on counted.source_table = clean.source_table
    inner join files
        on counted.source_table = files.source_table
)

select * from final
