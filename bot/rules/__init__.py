"""The rules every face of the bot shares, pure and in one place each: working days
(`workcalendar`), overdue (`overdue`), the counting unit and completion rates (`completion`),
and the years a date may fall in (`datebounds`). Chat, dashboard, CLI and reports import these;
none of them counts on its own."""
