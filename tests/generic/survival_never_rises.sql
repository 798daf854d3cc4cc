{#- Rows where a survival curve rises: `column_name` is greater than in the
    previous `order_by` row of the same `group_by` group (nulls are skipped).
    A survival curve can only stay or fall; `tolerance` absorbs float noise. -#}
{% test survival_never_rises(model, column_name, group_by=[], order_by='period', tolerance=0) %}
    with observed as (
        select
            {%- for column in group_by %}
            {{ column }},
            {%- endfor %}
            {{ order_by }} as curve_position,
            {{ column_name }} as survival
        from {{ model }}
        where {{ column_name }} is not null
    ),

    paired as (
        select
            *,
            lag(survival) over (
                {%- if group_by %}
                partition by {{ group_by | join(', ') }}
                {%- endif %}
                order by curve_position
            ) as previous_survival
        from observed
    )

    select *
    from paired
    where survival > previous_survival + {{ tolerance }}
{% endtest %}
