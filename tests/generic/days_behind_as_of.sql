{#- Freshness of landing data: how many days the newest `column_name`
    (on or before as_of_date) lies behind as_of_date. The test returns one
    row per day behind, so dbt's thresholds read as days:

        Failure in test days_behind_as_of_stg_invoices_issued_at (models/staging/_staging.yml)
          Got 30 results, configured to fail if >7

    warns after var `freshness_warn_days` days and fails the build after
    `freshness_error_days`. A table with no row up to as_of_date counts as
    `max_days` behind (stale whatever the thresholds), unless `allow_empty`
    (true or 'True') and the table has no row at all: an optional input that
    is not there (events on the Stripe path) is not stale. Rows after
    as_of_date are ignored, as in every model. -#}
{% test days_behind_as_of(model, column_name, max_days=3661, allow_empty=false) %}
    {{ config(
        warn_if='>' ~ var('freshness_warn_days', 2),
        error_if='>' ~ var('freshness_error_days', 7),
    ) }}
    with newest as (
        select cast(max({{ column_name }}) as date) as newest_date
        from {{ model }}
        where cast({{ column_name }} as date) <= {{ as_of_date() }}
    ),

    lag as (
        select
            newest_date,
            {{ as_of_date() }} as as_of_date,
            coalesce(
                {{ dbt.datediff('newest_date', as_of_date(), 'day') }}, {{ max_days }}
            ) as days_behind
        from newest
        {%- if allow_empty | string | lower == 'true' %}
        where exists (select 1 from {{ model }})
        {%- endif %}
    ),

    days as (
        {{ dbt.generate_series(max_days) }}
    )

    select
        '{{ model.identifier if model.identifier is defined else model }}' as table_name,
        '{{ column_name }}' as column_name,
        lag.newest_date,
        lag.as_of_date,
        lag.days_behind,
        days.generated_number as day_behind
    from lag
    inner join days on days.generated_number <= lag.days_behind
{% endtest %}
