-- The fx rate that applies to each currency in each month: the latest rate on
-- or before the month's evaluation day, or the currency's earliest rate when
-- none is that old. The reporting currency converts at 1.
with months as (
    select * from {{ ref('int_months') }}
),

rates as (
    select * from {{ ref('stg_fx_rates') }}
    where currency != '{{ var("reporting_currency") | upper }}'
),

ranked as (
    select
        months.month,
        rates.currency,
        rates.rate_to_reporting,
        row_number() over (
            partition by months.month, rates.currency
            order by
                case when rates.rate_date <= months.evaluated_on then 0 else 1 end,
                case when rates.rate_date <= months.evaluated_on then rates.rate_date end desc,
                rates.rate_date
        ) as preference
    from months
    cross join rates
),

final as (
    select
        month,
        currency,
        rate_to_reporting
    from ranked
    where preference = 1

    union all

    select
        month,
        '{{ var("reporting_currency") | upper }}' as currency,
        1.0 as rate_to_reporting
    from months
)

select * from final
