-- Unit economics per segment and acquisition channel (docs/definitions.md), with 'all'
-- rows for each segment, each channel and the whole business. Measured
-- over the trailing 12 months through the month of as_of_date:
--   ARPA         MRR per paying customer-month
--   logo churn   churned customers / customers at the start of the month,
--                summed over the months
--   formula LTV  ARPA x gross_margin / churn (null when churn is 0)
--   sBG LTV      ARPA x gross_margin x (1 + discounted expected further
--                paid months of a new customer) from the segment's sBG fit
--   CAC          marketing spend / new customers. Spend is recorded per
--                channel only, so a channel's spend is shared among
--                segments in proportion to their new customers.
--   payback      CAC / (ARPA x gross_margin), months (ratios to 4 decimals)
--   retention budget: the average expected remaining gross profit of the
--                group's paying customers, i.e. what keeping one customer
--                who is about to leave is worth at most.
{%- set window_months = 12 %}

with customer_months as (
    select * from {{ ref('fct_mrr') }}
),

customer_values as (
    select * from {{ ref('customer_lifetime_value') }}
),

fits as (
    select * from {{ ref('int_sbg_fit') }}
),

expected_lifetimes as (
    select * from {{ ref('int_sbg_expected_lifetime') }}
),

marketing_spend as (
    select * from {{ ref('stg_marketing_spend') }}
),

window_bounds as (
    select
        cast({{ dbt.dateadd('month', 1 - window_months, dbt.date_trunc('month', as_of_date())) }} as date)
            as first_month,
        cast({{ dbt.date_trunc('month', as_of_date()) }} as date) as last_month
),

recent_months as (
    select customer_months.*
    from customer_months
    cross join window_bounds
    where customer_months.month between window_bounds.first_month and window_bounds.last_month
),

grains as (
    -- The four grains: segment x channel, segment, channel, whole business.
    select
        true as by_segment,
        true as by_channel
    union all
    select
        true as by_segment,
        false as by_channel
    union all
    select
        false as by_segment,
        true as by_channel
    union all
    select
        false as by_segment,
        false as by_channel
),

recent_by_grain as (
    select
        case when grains.by_segment then recent_months.segment else 'all' end as segment,
        case when grains.by_channel then recent_months.acquisition_channel else 'all' end as acquisition_channel,
        recent_months.mrr,
        recent_months.previous_mrr,
        recent_months.movement
    from recent_months
    cross join grains
),

customer_values_by_grain as (
    select
        case when grains.by_segment then customer_values.segment else 'all' end as segment,
        case when grains.by_channel then customer_values.acquisition_channel else 'all' end as acquisition_channel,
        customer_values.is_active,
        customer_values.expected_remaining_gross_profit
    from customer_values
    cross join grains
),

activity as (
    select
        segment,
        acquisition_channel,
        sum(case when mrr > 0 then mrr else 0 end) as paying_mrr,
        {{ count_where('mrr > 0') }} as paying_customer_months,
        {{ count_where('previous_mrr > 0') }} as customer_months_at_start,
        {{ count_where("movement = 'churn'") }} as churned_customers,
        {{ count_where("movement = 'new'") }} as new_customers
    from recent_by_grain
    group by
        segment,
        acquisition_channel
),

values_by_group as (
    select
        segment,
        acquisition_channel,
        {{ count_where('is_active') }} as active_customers,
        avg(case when is_active then expected_remaining_gross_profit end) as retention_budget_per_customer
    from customer_values_by_grain
    group by
        segment,
        acquisition_channel
),

spend_by_channel as (
    select
        marketing_spend.acquisition_channel,
        sum(marketing_spend.amount) as spend
    from marketing_spend
    cross join window_bounds
    where marketing_spend.month between window_bounds.first_month and window_bounds.last_month
    group by marketing_spend.acquisition_channel
),

spend_recorded as (
    -- Without any marketing spend rows (optional table absent) CAC is unknown, not 0.
    select count(*) > 0 as has_spend
    from marketing_spend
),

new_by_segment_channel as (
    select
        segment,
        acquisition_channel,
        new_customers,
        sum(new_customers) over (partition by acquisition_channel) as channel_new_customers
    from activity
    where segment != 'all' and acquisition_channel != 'all'
),

allocated_spend as (
    select
        new_by_segment_channel.segment,
        new_by_segment_channel.acquisition_channel,
        coalesce(spend_by_channel.spend, 0) * new_by_segment_channel.new_customers
        / nullif(new_by_segment_channel.channel_new_customers, 0) as spend
    from new_by_segment_channel
    left join spend_by_channel
        on new_by_segment_channel.acquisition_channel = spend_by_channel.acquisition_channel
),

spend_by_group as (
    select
        segment,
        acquisition_channel,
        coalesce(spend, 0) as spend
    from allocated_spend

    union all

    select
        segment,
        'all' as acquisition_channel,
        sum(coalesce(spend, 0)) as spend
    from allocated_spend
    group by segment

    union all

    select
        'all' as segment,
        acquisition_channel,
        spend
    from spend_by_channel

    union all

    select
        'all' as segment,
        'all' as acquisition_channel,
        sum(spend) as spend
    from spend_by_channel
),

usable_fits as (
    select segment
    from fits
    where not is_degenerate
),

new_customer_lifetimes as (
    -- Discounted expected further paid months of a customer in its first month.
    select
        segment,
        expected_remaining_months
    from expected_lifetimes
    where age_months = 0
),

groups as (
    select
        values_by_group.segment,
        values_by_group.acquisition_channel,
        values_by_group.active_customers,
        values_by_group.retention_budget_per_customer,
        coalesce(activity.new_customers, 0) as new_customers,
        coalesce(activity.churned_customers, 0) as churned_customers,
        coalesce(activity.customer_months_at_start, 0) as customer_months_at_start,
        {{ safe_divide('cast(activity.paying_mrr as ' ~ type_double() ~ ')', 'activity.paying_customer_months') }}
            as arpa,
        {{ safe_divide('cast(activity.churned_customers as ' ~ type_double() ~ ')',
                       'activity.customer_months_at_start') }} as monthly_logo_churn_rate,
        case
            when spend_recorded.has_spend then coalesce(spend_by_group.spend, 0)
        end as marketing_spend,
        case when usable_fits.segment is not null then values_by_group.segment else 'all' end as fit_segment
    from values_by_group
    cross join spend_recorded
    left join activity
        on
            values_by_group.segment = activity.segment
            and values_by_group.acquisition_channel = activity.acquisition_channel
    left join spend_by_group
        on
            values_by_group.segment = spend_by_group.segment
            and values_by_group.acquisition_channel = spend_by_group.acquisition_channel
    left join usable_fits
        on values_by_group.segment = usable_fits.segment
),

economics as (
    select
        groups.*,
        {{ safe_divide('groups.arpa * ' ~ var('gross_margin'), 'groups.monthly_logo_churn_rate') }} as formula_ltv,
        groups.arpa * {{ var('gross_margin') }} * (1 + new_customer_lifetimes.expected_remaining_months)
            as sbg_ltv,
        {{ safe_divide('groups.marketing_spend', 'groups.new_customers') }} as cac
    from groups
    left join new_customer_lifetimes
        on groups.fit_segment = new_customer_lifetimes.segment
),

final as (
    select
        segment,
        acquisition_channel,
        active_customers,
        cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        cast(arpa as {{ type_double() }}) as arpa,
        cast(monthly_logo_churn_rate as {{ type_double() }}) as monthly_logo_churn_rate,
        {{ round_money('formula_ltv') }} as formula_ltv,
        fit_segment,
        {{ round_money('sbg_ltv') }} as sbg_ltv,
        {{ round_money('marketing_spend') }} as marketing_spend,
        {{ round_money('cac') }} as cac,
        cast(round({{ safe_divide('formula_ltv', 'cac') }}, 4) as {{ type_double() }}) as ltv_to_cac,
        cast(round({{ safe_divide('sbg_ltv', 'cac') }}, 4) as {{ type_double() }}) as sbg_ltv_to_cac,
        cast(round({{ safe_divide('cac', 'arpa * ' ~ var('gross_margin')) }}, 4) as {{ type_double() }})
            as cac_payback_months,
        {{ round_money('retention_budget_per_customer') }} as retention_budget_per_customer
    from economics
)

select * from final
