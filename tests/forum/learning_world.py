"""The small forum of the issue-10 tests: public and restricted experiences, questions and
adaptations whose words overlap, so that a leak through any channel would show."""
from dataclasses import dataclass
from datetime import timedelta

from forum.extensions import db
from forum.models._base import utcnow
from tests.factories import (
    make_adaptation, make_category, make_experience, make_group, make_reply, make_thread,
    make_user,
)

SECRET_THEME = "County secrets"  # only on the group-only experience


@dataclass
class World:
    """Ids of the rows the learning tests start from."""

    experience: int  # public experience by amina, worked, Kenya 2023-2024, theme Procurement
    question: int  # public question by bob; carla's reply is accepted, dan's is not
    accepted: int
    other_reply: int
    secret: int  # group-only experience by insider, with insider's adaptation in Uganda
    lounge: int  # members-only experience by carla, with dan's adaptation in Ghana
    plain: int  # public experience without details, by amina
    public_category: int
    group_category: int


def build(app) -> World:
    """Members amina (Kenya), bob, carla (Senegal), dan, insider (Kenya team), helen
    (moderator), sam (suspended) and ghost (an imported placeholder)."""
    with app.app_context():
        amina = make_user("amina", country="Kenya", organisation="UNICEF",
                          expertise="joint procurement")
        bob, dan = make_user("bob"), make_user("dan")
        carla = make_user("carla", country="Senegal", organisation="UNDP")
        insider = make_user("insider", country="Uganda", organisation="Ministry of Finance")
        make_user("helen", role="moderator")
        make_user("sam", suspended_until=utcnow() + timedelta(days=7))
        make_user("ghost", placeholder=True)
        team = make_group("kenya-team", [insider])
        public = make_category("Procurement")
        lounge = make_category("Lounge", visibility="members")
        kenya = make_category("Kenya team", visibility="group", group=team)
        experience = make_thread(amina, public, "Joint vehicle procurement for three agencies",
                                 "We pooled our vehicle orders under one long-term agreement.",
                                 kind="experience", country="Kenya")
        make_experience(experience, "worked", theme="Procurement", start_year=2023,
                        end_year=2024, tried="One joint order.", lessons="Leave armoured cars out.")
        question = make_thread(bob, public, "How do we pool procurement of vehicles?",
                               "Three agencies want to buy vehicles together.")
        accepted = make_reply(carla, question, "Use the global vehicle long-term agreement. "
                              "It saved us nine percent on unit prices.", accepted=True)
        other = make_reply(dan, question, "Ask the procurement team about customs first.")
        secret = make_thread(insider, kenya, "Kenya team: vehicle pooling with county governments",
                             "Internal: pooled vehicle procurement with the counties.",
                             kind="experience", country="Uganda")
        make_experience(secret, "did_not_work", theme=SECRET_THEME, start_year=2019)
        make_adaptation(secret, insider, "Uganda", "worked")
        lounge_thread = make_thread(carla, lounge, "Members only: vehicle pooling gossip",
                                    "Candid notes on pooled vehicle orders.", kind="experience",
                                    country="Ghana")
        make_adaptation(lounge_thread, dan, "Ghana", "partly")
        plain = make_thread(amina, public, "Sharing one generator contract across agencies",
                            "How four agencies shared one maintenance contract.",
                            kind="experience", country="Moldova")
        db.session.commit()
        return World(experience.id, question.id, accepted.id, other.id, secret.id,
                     lounge_thread.id, plain.id, public.id, kenya.id)
