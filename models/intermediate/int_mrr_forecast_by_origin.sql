-- The MRR and customer forecast made at the end of every month (the origin),
-- per segment, for each of the next forecast months h = 1 .. 12, before
-- rounding. mrr_forecast shows the one made at as_of_date; the backtest
-- compares the earlier ones with what happened.
--
-- Today's customers: a customer paying at the origin whose run is t months
-- old is still paying h months later with probability P(h) = S(t + h) / S(t)
-- (the segment's sBG curve fitted on what was known at the origin). Its MRR
-- grows by the segment's trailing net expansion rate g per month while it
-- stays: expected MRR mrr x (1 + g)^h x P(h).
-- Arrivals: each forecast month brings the trailing average of new +
-- reactivation MRR and customers (a flat trend), which then survive on the
-- curve from age 0.
-- Month h's movements: churned = (1 + g)^(h - 1) x MRR x (P(h - 1) - P(h)),
-- net expansion = (1 + g)^(h - 1) x g x MRR x P(h), so that
-- expected MRR(h) = MRR(h - 1) - churned + net expansion + new holds exactly.
-- Variances (for the band): each customer stays or leaves independently
-- given the curve (binomial: mrr^2 x P x (1 - P)); each month's arrivals
-- vary with their trailing standard deviation. The curve's own uncertainty
-- is not included.
{%- set horizon = forecast_horizon_months() | int %}

with starting_points as (
    select * from {{ ref('int_forecast_starting_points') }}
),

curve as (
    select * from {{ ref('int_forecast_survival_curve') }}
),

rates as (
    select * from {{ ref('int_forecast_trailing_rates') }}
),

months_ahead as (
    select cast(generated_number as {{ dbt.type_int() }}) as months_ahead
    from ({{ dbt.generate_series(horizon) }}) as series
),

existing_paths as (
    -- Today's customers, per run age, h months ahead.
    select
        starting_points.origin_month,
        starting_points.segment,
        months_ahead.months_ahead,
        cast(starting_points.customers as {{ type_double() }}) as customers,
        cast(starting_points.mrr as {{ type_double() }}) as mrr,
        starting_points.mrr_squared,
        1.0 + rates.net_expansion_rate as growth,
        rates.net_expansion_rate,
        exp(at_h.log_survival - at_start.log_survival) as survival,
        exp(before_h.log_survival - at_start.log_survival) as survival_before
    from starting_points
    inner join rates
        on
            starting_points.origin_month = rates.month
            and starting_points.segment = rates.segment
    cross join months_ahead
    inner join curve as at_start
        on
            starting_points.origin_month = at_start.origin_month
            and starting_points.segment = at_start.segment
            and starting_points.run_age_months = at_start.age_months
    inner join curve as at_h
        on
            starting_points.origin_month = at_h.origin_month
            and starting_points.segment = at_h.segment
            and starting_points.run_age_months + months_ahead.months_ahead = at_h.age_months
    inner join curve as before_h
        on
            starting_points.origin_month = before_h.origin_month
            and starting_points.segment = before_h.segment
            and starting_points.run_age_months + months_ahead.months_ahead - 1 = before_h.age_months
),

existing as (
    select
        origin_month,
        segment,
        months_ahead,
        sum(customers * survival) as customers,
        sum(mrr * power(growth, months_ahead) * survival) as mrr,
        sum(customers * (survival_before - survival)) as churned_customers,
        sum(mrr * power(growth, months_ahead - 1) * (survival_before - survival)) as churned_mrr,
        sum(mrr * power(growth, months_ahead - 1) * net_expansion_rate * survival) as net_expansion_mrr,
        sum(customers * survival * (1 - survival)) as customers_variance,
        sum(mrr_squared * power(growth, 2 * months_ahead) * survival * (1 - survival)) as mrr_variance
    from existing_paths
    group by
        origin_month,
        segment,
        months_ahead
),

arrival_paths as (
    -- The arrivals of forecast month j (1 .. h), aged h - j at month h.
    select
        rates.month as origin_month,
        rates.segment,
        horizon_month.months_ahead,
        horizon_month.months_ahead - arrival_month.months_ahead as age_months,
        rates.arrival_mrr,
        rates.arrival_mrr_stddev,
        rates.arrival_customers,
        rates.arrival_customers_stddev,
        1.0 + rates.net_expansion_rate as growth,
        rates.net_expansion_rate,
        exp(at_h.log_survival) as survival
    from rates
    cross join months_ahead as horizon_month
    inner join months_ahead as arrival_month
        on arrival_month.months_ahead <= horizon_month.months_ahead
    inner join curve as at_h
        on
            rates.month = at_h.origin_month
            and rates.segment = at_h.segment
            and horizon_month.months_ahead - arrival_month.months_ahead = at_h.age_months
),

arrival_steps as (
    select
        arrival_paths.*,
        coalesce(exp(before_h.log_survival), 1.0) as survival_before
    from arrival_paths
    left join curve as before_h
        on
            arrival_paths.origin_month = before_h.origin_month
            and arrival_paths.segment = before_h.segment
            and arrival_paths.age_months - 1 = before_h.age_months
),

arrivals as (
    select
        origin_month,
        segment,
        months_ahead,
        sum(case when age_months = 0 then arrival_mrr else 0 end) as new_mrr,
        sum(case when age_months = 0 then arrival_customers else 0 end) as new_customers,
        sum(arrival_customers * survival) as customers,
        sum(arrival_mrr * power(growth, age_months) * survival) as mrr,
        sum(case when age_months > 0 then arrival_customers * (survival_before - survival) else 0 end)
            as churned_customers,
        sum(
            case
                when age_months > 0
                    then arrival_mrr * power(growth, age_months - 1) * (survival_before - survival)
                else 0
            end
        ) as churned_mrr,
        sum(
            case
                when age_months > 0 then arrival_mrr * power(growth, age_months - 1) * net_expansion_rate * survival
                else 0
            end
        ) as net_expansion_mrr,
        sum(power(arrival_customers_stddev * survival, 2)) as customers_variance,
        sum(power(arrival_mrr_stddev * power(growth, age_months) * survival, 2)) as mrr_variance
    from arrival_steps
    group by
        origin_month,
        segment,
        months_ahead
),

joined as (
    select
        arrivals.origin_month,
        arrivals.segment,
        arrivals.months_ahead,
        coalesce(existing.customers, 0) as customers_from_today,
        coalesce(existing.mrr, 0) as mrr_from_today,
        arrivals.customers as customers_from_new,
        arrivals.mrr as mrr_from_new,
        arrivals.new_customers,
        arrivals.new_mrr,
        coalesce(existing.net_expansion_mrr, 0) + arrivals.net_expansion_mrr as net_expansion_mrr,
        coalesce(existing.churned_customers, 0) + arrivals.churned_customers as churned_customers,
        coalesce(existing.churned_mrr, 0) + arrivals.churned_mrr as churned_mrr,
        coalesce(existing.customers_variance, 0) + arrivals.customers_variance as customers_variance,
        coalesce(existing.mrr_variance, 0) + arrivals.mrr_variance as mrr_variance
    from arrivals
    left join existing
        on
            arrivals.origin_month = existing.origin_month
            and arrivals.segment = existing.segment
            and arrivals.months_ahead = existing.months_ahead
),

final as (
    -- Rounded to 6 decimals: far below a cent or a customer, and the same
    -- figures on every engine.
    select
        origin_month,
        segment,
        cast(months_ahead as {{ dbt.type_int() }}) as months_ahead,
        cast({{ dbt.dateadd('month', 'months_ahead', 'origin_month') }} as date) as forecast_month,
        cast(round(customers_from_today, 6) as {{ type_double() }}) as customers_from_today,
        cast(round(mrr_from_today, 6) as {{ type_double() }}) as mrr_from_today,
        cast(round(customers_from_new, 6) as {{ type_double() }}) as customers_from_new,
        cast(round(mrr_from_new, 6) as {{ type_double() }}) as mrr_from_new,
        cast(round(new_customers, 6) as {{ type_double() }}) as new_customers,
        cast(round(new_mrr, 6) as {{ type_double() }}) as new_mrr,
        cast(round(net_expansion_mrr, 6) as {{ type_double() }}) as net_expansion_mrr,
        cast(round(churned_customers, 6) as {{ type_double() }}) as churned_customers,
        cast(round(churned_mrr, 6) as {{ type_double() }}) as churned_mrr,
        cast(round(customers_variance, 6) as {{ type_double() }}) as customers_variance,
        cast(round(mrr_variance, 6) as {{ type_double() }}) as mrr_variance
    from joined
)

select * from final
