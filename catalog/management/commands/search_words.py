from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.services.search_text import search_words_differences, search_words_rebuild


class Command(BaseCommand):
    help = (
        "Check (--check) or recount (--rebuild) the spelling vocabulary search corrects typos "
        "with: each word of the catalog and the number of books it is in. Every write keeps it "
        "current; this repairs it after changes made around the services (raw SQL, a restore)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--check",
            action="store_true",
            help="Report words whose count differs from the books; exit status 1 if any.",
        )
        action.add_argument(
            "--rebuild", action="store_true", help="Recount every word from the books."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            words = search_words_rebuild()
            self.stdout.write(self.style.SUCCESS(f"Spelling vocabulary rebuilt: {words} words."))
            return
        differences = search_words_differences()
        for word, (stored, counted) in sorted(differences.items())[:20]:
            self.stdout.write(f"{word}: {stored} stored, {counted} counted")
        if differences:
            raise CommandError(
                f"{len(differences)} words of the spelling vocabulary are off; "
                "run ./manage.py search_words --rebuild."
            )
        self.stdout.write(self.style.SUCCESS("The spelling vocabulary matches the books."))
