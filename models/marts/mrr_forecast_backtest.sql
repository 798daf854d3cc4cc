-- How well the MRR forecast did: the forecast of int_mrr_forecast_by_origin
-- made at the end of every earlier month with at least 12 months of history
-- before it (the origin), compared with the MRR that month h later actually
-- had, per segment and for the whole business ('all'), for h = 1, 3, 6 and
-- 12 months ahead. Beside it two naive forecasts made at the same origins:
-- the origin's MRR carried forward, and the least-squares straight line
-- through the MRR of the origin's last 6 months, extended h months.
-- Error = mean absolute percentage error (MAPE) over the origins whose
-- actual MRR is above 0, to 4 decimals (0.01 percentage point; the refitted
-- curves of earlier origins agree between engines to about 1e-6, not to the
-- last bit).
-- Each origin's forecast uses only what was known at the origin: its paying
-- customers, the trailing arrivals and net expansion up to it, and survival
-- curves refitted on the cohorts as they stood then (int_forecast_sbg_fits).
{%- set history_months = 12 %}
{%- set trend_months = 6 %}

with forecasts as (
    select * from {{ ref('int_mrr_forecast_by_origin') }}
),

rates as (
    select * from {{ ref('int_forecast_trailing_rates') }}
),

horizons as (
    select cast(generated_number as {{ dbt.type_int() }}) as months_ahead
    from ({{ dbt.generate_series(12) }}) as series
    where generated_number in (1, 3, 6, 12)
),

series as (
    -- Actual MRR per group and month.
    select
        segment,
        month,
        month_number,
        cast(ending_mrr as {{ type_double() }}) as mrr
    from rates

    union all

    select
        'all' as segment,
        month,
        month_number,
        sum(cast(ending_mrr as {{ type_double() }})) as mrr
    from rates
    group by
        month,
        month_number
),

trend_sums as (
    -- Sums for the least-squares line through the last 6 months (x = month number).
    select
        segment,
        month,
        month_number,
        mrr,
        count(*) over trend_window as points,
        sum(cast(month_number as {{ type_double() }})) over trend_window as sum_x,
        sum(cast(month_number as {{ type_double() }}) * month_number) over trend_window as sum_xx,
        sum(mrr) over trend_window as sum_y,
        sum(month_number * mrr) over trend_window as sum_xy
    from series
    window trend_window as (
        partition by segment
        order by month
        rows between {{ trend_months - 1 }} preceding and current row
    )
),

origins as (
    select
        segment,
        month as origin_month,
        month_number,
        mrr as origin_mrr,
        sum_y / points as mean_y,
        sum_x / points as mean_x,
        (points * sum_xy - sum_x * sum_y) / (points * sum_xx - sum_x * sum_x) as slope
    from trend_sums
    where month_number > {{ history_months }}
),

model_forecasts as (
    select
        origin_month,
        segment,
        months_ahead,
        customers_from_today,
        mrr_from_today + mrr_from_new as forecast_mrr
    from forecasts

    union all

    select
        origin_month,
        'all' as segment,
        months_ahead,
        sum(customers_from_today) as customers_from_today,
        sum(mrr_from_today + mrr_from_new) as forecast_mrr
    from forecasts
    group by
        origin_month,
        months_ahead
),

compared as (
    select
        origins.segment,
        horizons.months_ahead,
        origins.origin_month,
        actual.mrr as actual_mrr,
        model_forecasts.forecast_mrr,
        origins.origin_mrr as last_value_mrr,
        origins.mean_y + origins.slope * (origins.month_number + horizons.months_ahead - origins.mean_x)
            as trend_mrr
    from origins
    cross join horizons
    inner join series as actual
        on
            origins.segment = actual.segment
            and origins.month_number + horizons.months_ahead = actual.month_number
    inner join model_forecasts
        on
            origins.segment = model_forecasts.segment
            and origins.origin_month = model_forecasts.origin_month
            and horizons.months_ahead = model_forecasts.months_ahead
    where actual.mrr > 0
),

errors as (
    select
        segment,
        months_ahead,
        count(*) as origins,
        min(origin_month) as first_origin_month,
        max(origin_month) as last_origin_month,
        avg(abs(forecast_mrr - actual_mrr) / actual_mrr) as forecast_mape,
        avg(abs(last_value_mrr - actual_mrr) / actual_mrr) as last_value_mape,
        avg(abs(trend_mrr - actual_mrr) / actual_mrr) as trend_mape,
        avg((forecast_mrr - actual_mrr) / actual_mrr) as forecast_bias
    from compared
    group by
        segment,
        months_ahead
),

groups as (
    -- Every segment and horizon gets a row, with 0 origins while the
    -- history is too short for it.
    select distinct
        series.segment,
        horizons.months_ahead
    from series
    cross join horizons
),

all_errors as (
    select
        groups.segment,
        groups.months_ahead,
        coalesce(errors.origins, 0) as origins,
        errors.first_origin_month,
        errors.last_origin_month,
        errors.forecast_mape,
        errors.last_value_mape,
        errors.trend_mape,
        errors.forecast_bias
    from groups
    left join errors
        on
            groups.segment = errors.segment
            and groups.months_ahead = errors.months_ahead
),

final as (
    select
        segment,
        cast(months_ahead as {{ dbt.type_int() }}) as months_ahead,
        cast(origins as {{ dbt.type_bigint() }}) as origins,
        cast(first_origin_month as date) as first_origin_month,
        cast(last_origin_month as date) as last_origin_month,
        cast(round(forecast_mape, 4) as {{ type_double() }}) as forecast_mape,
        cast(round(last_value_mape, 4) as {{ type_double() }}) as last_value_mape,
        cast(round(trend_mape, 4) as {{ type_double() }}) as trend_mape,
        cast(round(forecast_bias, 4) as {{ type_double() }}) as forecast_bias,
        round(forecast_mape, 4) < round(last_value_mape, 4) and round(forecast_mape, 4) < round(trend_mape, 4)
            as beats_naive_forecasts
    from all_errors
)

select * from final
