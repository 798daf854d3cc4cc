-- Per landing table: rows read = clean + quarantined (+ exact duplicates,
-- which are quarantined with their own reason and counted apart).
{%- set tables = ['customers', 'plans', 'subscriptions', 'invoices', 'events', 'fx_rates', 'marketing_spend'] %}

with
{%- for table in tables %}
    {{ table }} as (
        select
            '{{ table }}' as source_table,
            (select count(*) from {{ landing_relation(table) }} as landing) as raw_rows,
            sum(case when quarantine_reason_code is null then 1 else 0 end) as clean_rows,
            sum(case
                when quarantine_reason_code is not null
                    and quarantine_reason_code != 'exact_duplicate' then 1
                else 0
            end) as quarantined_rows,
            sum(case when quarantine_reason_code = 'exact_duplicate' then 1 else 0 end)
                as duplicates_removed
        from {{ ref('base_' ~ table) }}
    ),
{%- endfor %}

clean as (
    {%- for table in tables %}
        select
            '{{ table }}' as source_table,
            count(*) as staged_rows
        from {{ ref('stg_' ~ table) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        counted.source_table,
        counted.raw_rows,
        coalesce(counted.clean_rows, 0) as clean_rows,
        coalesce(counted.quarantined_rows, 0) as quarantined_rows,
        coalesce(counted.duplicates_removed, 0) as duplicates_removed,
        clean.staged_rows
    from (
        {%- for table in tables %}
            select * from {{ table }}
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    ) as counted
    inner join clean
        on counted.source_table = clean.source_table
)

select * from final
