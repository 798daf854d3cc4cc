-- The MRR and customer forecast for each of the next 12 months after the
-- month of as_of_date, per segment and for the whole business ('all' = the
-- sum of the segments). See int_mrr_forecast_by_origin for the arithmetic:
-- today's customers survive on their segment's sBG curve given the age of
-- their paying run, arrivals follow the trailing average, MRR grows by the
-- trailing net expansion rate. The band is expected +- 1.96 standard
-- deviations of the churn and arrival randomness (floored at 0); it does
-- not include the uncertainty of the curve or of the trailing rates.
with forecasts as (
    select * from {{ ref('int_mrr_forecast_by_origin') }}
),

rates as (
    select * from {{ ref('int_forecast_trailing_rates') }}
),

current_forecast as (
    select
        forecasts.*,
        cast(rates.customers_end as {{ type_double() }}) as starting_customers,
        cast(rates.ending_mrr as {{ type_double() }}) as starting_mrr
    from forecasts
    inner join rates
        on
            forecasts.origin_month = rates.month
            and forecasts.segment = rates.segment
    where forecasts.origin_month = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
),

with_business as (
    select * from current_forecast

    union all

    select
        origin_month,
        'all' as segment,
        months_ahead,
        forecast_month,
        sum(customers_from_today) as customers_from_today,
        sum(mrr_from_today) as mrr_from_today,
        sum(customers_from_new) as customers_from_new,
        sum(mrr_from_new) as mrr_from_new,
        sum(new_customers) as new_customers,
        sum(new_mrr) as new_mrr,
        sum(net_expansion_mrr) as net_expansion_mrr,
        sum(churned_customers) as churned_customers,
        sum(churned_mrr) as churned_mrr,
        sum(customers_variance) as customers_variance,
        sum(mrr_variance) as mrr_variance,
        sum(starting_customers) as starting_customers,
        sum(starting_mrr) as starting_mrr
    from current_forecast
    group by
        origin_month,
        months_ahead,
        forecast_month
),

expected as (
    select
        *,
        customers_from_today + customers_from_new as expected_customers,
        mrr_from_today + mrr_from_new as expected_mrr,
        {{ z_95() }} * sqrt(customers_variance) as customers_margin,
        {{ z_95() }} * sqrt(mrr_variance) as mrr_margin
    from with_business
),

final as (
    select
        segment,
        cast(origin_month as date) as origin_month,
        cast(months_ahead as {{ dbt.type_int() }}) as months_ahead,
        cast(forecast_month as date) as forecast_month,
        cast(round(starting_customers, 2) as {{ type_double() }}) as starting_customers,
        {{ round_money('starting_mrr') }} as starting_mrr,
        cast(round(expected_customers, 2) as {{ type_double() }}) as expected_customers,
        cast(round(greatest(expected_customers - customers_margin, 0), 2) as {{ type_double() }})
            as expected_customers_low,
        cast(round(expected_customers + customers_margin, 2) as {{ type_double() }}) as expected_customers_high,
        cast(round(customers_from_today, 2) as {{ type_double() }}) as expected_customers_from_today,
        cast(round(new_customers, 2) as {{ type_double() }}) as expected_new_customers,
        cast(round(churned_customers, 2) as {{ type_double() }}) as expected_churned_customers,
        {{ round_money('expected_mrr') }} as expected_mrr,
        {{ round_money('greatest(expected_mrr - mrr_margin, 0)') }} as expected_mrr_low,
        {{ round_money('expected_mrr + mrr_margin') }} as expected_mrr_high,
        {{ round_money('mrr_from_today') }} as expected_mrr_from_today,
        {{ round_money('new_mrr') }} as expected_new_mrr,
        {{ round_money('net_expansion_mrr') }} as expected_net_expansion_mrr,
        {{ round_money('churned_mrr') }} as expected_churned_mrr
    from expected
)

select * from final
