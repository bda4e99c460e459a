"""The Spending view: money per day and per week, by mode, with the daily cap."""
