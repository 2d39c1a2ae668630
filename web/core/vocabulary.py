"""Closed vocabularies shared by forms, models, demo data and the engine input.

Stored values are keys; pages show their translations, so an Arabic and a
German sign-up match on the same interest.
"""

from __future__ import annotations

from web.core.i18n import N_

ROLES = ("local", "newcomer")
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
GENDERS = ("female", "male", "diverse")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYPARTS = ("morning", "afternoon", "evening")
SLOTS = tuple(f"{day}_{part}" for day in DAYS for part in DAYPARTS)

PARTICIPANT_STATUSES = (
    "unverified",  # signed up, e-mail not yet confirmed
    "pending",  # verified, waiting for a coordinator's approval
    "active",  # approved and available for matching
    "paused",  # on holiday; not matched until resumed
    "withdrawn",  # left the programme or withdrew consent
    "declined",  # a coordinator declined the sign-up
)
TANDEM_STATUSES = (
    "suggested",  # proposed by the engine (or paired by hand), waiting for a coordinator
    "proposed",  # a coordinator said yes: a proposal, waiting for both partners' answers
    "active",  # both partners accepted; contact details exchanged
    "paused",  # on hold (holidays, illness); still the partners' tandem
    "ended",
    "rejected",  # a coordinator said no
    "declined",  # a partner said no
    "expired",  # a partner did not answer in time
    "withdrawn",  # a coordinator withdrew the proposal before both answered
)
OPEN_TANDEM_STATUSES = ("proposed", "active", "paused")  # a newcomer is in at most one
ANSWERS = ("accepted", "declined")
PAIR_RULE_KINDS = ("pin", "forbid")
COORDINATOR_ROLES = ("admin", "coordinator")
CONSENT_PURPOSES = ("matching", "contact_sharing")
TOKEN_PURPOSES = ("verify", "profile", "answer", "checkin", "whats_on")
CHECKIN_KINDS = ("fit_check", "regular")
MEETING_FREQUENCIES = {
    # Translators: answers to "How often did you meet?" in a check-in on a tandem (local and
    # newcomer).
    "weekly": N_("About every week"),
    "fortnightly": N_("About every two weeks"),
    "monthly": N_("About once a month"),
    "rarely": N_("Rarely or not yet"),
}
# The rule behind "needs attention" on a check-in answer (web/checkins/checkins.py applies it).
WORRYING_CHECKIN_RULE = N_(
    # Translators: shown to coordinators next to check-in answers; the quoted words are the
    # answers of the check-in form and the problem report.
    "An answer needs attention when the face is “Bad” or “Very bad” or the partners met"
    " “Rarely or not yet”. Problems a partner reports (“Something is not OK”) are listed"
    " separately."
)
PROBLEM_KINDS = {
    # Translators: a participant reports a problem with their tandem partner (the other person of
    # their language and everyday-life tandem).
    "unreachable": N_("My partner does not answer"),
    "not_ok": N_("Something is not OK"),
}
EVENT_KINDS = (
    "signed_up",
    "verified",
    "proposed",  # a coordinator's proposal went out to both partners
    "accepted",  # both partners said yes (the tandem starts: "started" follows)
    "started",
    "ended",
    "declined",  # a partner said no to a proposal
    "expired",  # a proposal was not answered in time
    "withdrawn",  # a coordinator withdrew a proposal
    "erased",
    # Events (issue 17): one per occurrence held, one per attendee (role, first time, tandem).
    "occ_held",
    "occ_attended",
)
# Why a proposal did not become a tandem (``Event.reason`` of "declined" and "expired").
PROPOSAL_CLOSE_REASONS = {
    # Translators: why a proposed tandem (a local and a newcomer) did not start, in the funder
    # report.
    "local_declined": N_("The local partner said no"),
    "newcomer_declined": N_("The newcomer said no"),
    "local_silent": N_("The local partner did not answer"),
    "newcomer_silent": N_("The newcomer did not answer"),
    "both_silent": N_("Neither partner answered"),
}
# Age groups of the funder report (``Event.age_group``, from the birth year at sign-up).
AGE_GROUPS = {
    # Translators: an age group in the funder report.
    "under_18": N_("Under 18"),
    "18_29": N_("18 to 29"),
    "30_49": N_("30 to 49"),
    "50_64": N_("50 to 64"),
    "65_plus": N_("65 and older"),
}
RUN_STATUSES = ("running", "done", "failed")
ACTOR_TYPES = ("coordinator", "participant", "system")

END_REASONS = {
    # Translators: reasons why a tandem (a local and a newcomer meeting regularly) ended; chosen by
    # a coordinator or a partner.
    "goal_reached": N_("Goal reached"),
    "drifted_apart": N_("Drifted apart"),
    "moved_away": N_("Moved away"),
    "no_time": N_("No time"),
    # Translators: a reason a tandem ended: the two partners did not get on (a disagreement), not a
    # war.
    "conflict": N_("Conflict"),
    # Translators: a reason a tandem ended: the tandem partner could no longer be reached.
    "partner_unreachable": N_("Partner unreachable"),
    # Translators: the last reason in a list: any other reason ("Sonstiges").
    "other": N_("Other"),
}
# Why a partner says no to a proposal, if they want to tell (optional; coordinators only).
PROPOSAL_DECLINE_REASONS = {
    # Translators: a person's reason to say no to a proposed tandem partner (optional).
    "times": N_("Our times do not fit"),
    "distance": N_("It is too far for me"),
    "no_time": N_("I have no time at the moment"),
    # Translators: the last reason in a list: any other reason.
    "other": N_("Another reason"),
}
# Why a coordinator withdraws a proposal that is waiting for answers (issue 15 §5).
WITHDRAW_REASONS = {
    # Translators: why a coordinator takes back a proposal (two people suggested as tandem
    # partners) before both have answered.
    "unavailable": N_("One of them is no longer available"),
    "known_issue": N_("Known issue with one of them"),
    "better_fit": N_("A better partner was found"),
    "mistake": N_("Sent by mistake"),
    # Translators: the last reason in a list: any other reason ("Sonstiges").
    "other": N_("Other"),
}
REJECT_REASONS = {
    "languages": N_("Languages do not fit"),
    "distance": N_("Too far apart"),
    "availability": N_("Times do not fit"),
    # Translators: a coordinator's reason to reject a suggested pair: the two people would not get
    # on well.
    "personal": N_("Personal fit"),
    "known_issue": N_("Known issue with one of them"),
    # Translators: the last reason in a list: any other reason ("Sonstiges").
    "other": N_("Other"),
}

# Why a coordinator declines a sign-up (review queue, issue 15 §4); the person is told
# kindly in their language, the reason itself stays with the coordinators.
SIGNUP_DECLINE_REASONS = {
    # Translators: a coordinator's reason to decline a person's sign-up for the programme.
    "outside_region": N_("Lives outside our region"),
    "duplicate": N_("Signed up twice"),
    "unreachable": N_("Could not be reached"),
    "not_a_fit": N_("The programme cannot offer what they are looking for"),
    # Translators: the last reason in a list: any other reason ("Sonstiges").
    "other": N_("Other"),
}

# Languages offered in forms (ISO 639-1; "prs" Dari and "ckb"/"kmr" Kurdish have no
# 639-1 code, so Dari is written "fa" like Farsi and Kurdish "ku").
LANGUAGES = {
    "de": N_("German"),
    "en": N_("English"),
    "ar": N_("Arabic"),
    # Translators: a language a person speaks: Persian as spoken in Iran (Farsi) and in Afghanistan
    # (Dari), one choice for both.
    "fa": N_("Persian (Farsi/Dari)"),
    "uk": N_("Ukrainian"),
    "ru": N_("Russian"),
    "tr": N_("Turkish"),
    "ti": N_("Tigrinya"),
    "ku": N_("Kurdish"),
    "fr": N_("French"),
    "es": N_("Spanish"),
    "ps": N_("Pashto"),
    "so": N_("Somali"),
    "sq": N_("Albanian"),
    "pl": N_("Polish"),
    "it": N_("Italian"),
}

INTERESTS = {
    "football": N_("Football"),
    # Translators: an interest: running as a sport (jogging), not "in progress".
    "running": N_("Running"),
    "swimming": N_("Swimming"),
    "cycling": N_("Cycling"),
    "hiking": N_("Hiking and walks"),
    # Translators: an interest: exercise, the gym.
    "fitness": N_("Fitness"),
    "cooking": N_("Cooking"),
    "baking": N_("Baking"),
    "gardening": N_("Gardening"),
    "music": N_("Music"),
    "singing": N_("Singing"),
    "dancing": N_("Dancing"),
    "painting": N_("Painting and drawing"),
    "crafts": N_("Crafts and sewing"),
    "photography": N_("Photography"),
    # Translators: an interest: reading books.
    "reading": N_("Reading"),
    "films": N_("Films and series"),
    "theatre": N_("Theatre"),
    "museums": N_("Museums and history"),
    "board_games": N_("Board and card games"),
    "chess": N_("Chess"),
    "computers": N_("Computers and technology"),
    "repairs": N_("Repairs and DIY"),
    "nature": N_("Nature and animals"),
    "travel": N_("Travel"),
    "languages": N_("Learning languages"),
    # Translators: an interest: unpaid work for a club or a good cause.
    "volunteering": N_("Volunteering"),
    "children": N_("Activities with children"),
    "fashion": N_("Fashion"),
    # Translators: an interest: cars and motorbikes (vehicles with engines, not bicycles; cycling is
    # its own interest). The same interest is matched across languages.
    "cars": N_("Cars and motorbikes"),
}

HELP_TOPICS = {
    # Translators: what a local can help with, or what a newcomer would like help with.
    "language_practice": N_("Practising German"),
    "paperwork": N_("Paperwork and appointments"),
    "job": N_("Job and training"),
    "school": N_("School and homework"),
    "leisure": N_("Leisure and sport"),
    "orientation": N_("Getting to know the town"),
    "housing": N_("Housing search"),
    "health_system": N_("Finding doctors and services"),
    "digital": N_("Phone, computer and online services"),
}

LEVEL_LABELS = {
    "A1": N_("A1 – a few words and phrases"),
    "A2": N_("A2 – simple everyday sentences"),
    "B1": N_("B1 – everyday conversations"),
    "B2": N_("B2 – fluent on most topics"),
    "C1": N_("C1 – very good, also at work"),
    "C2": N_("C2 – almost like a native speaker"),
    # Translators: a language level: the person's mother tongue.
    "native": N_("First language"),
}
DAY_LABELS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
DAYPART_LABELS = {
    # Translators: a part of the day when a person could meet their tandem partner.
    "morning": N_("Morning"),
    "afternoon": N_("Afternoon"),
    "evening": N_("Evening"),
}

# --- assisted sign-up, contact without e-mail, guardians (issue 16) ---------------------------
CONTACT_CHANNELS = {
    # Translators: how a participant prefers to be contacted by the coordinator.
    "email": N_("E-mail"),
    "phone": N_("Phone call"),
    "sms": N_("SMS"),
    # Translators: a way to be contacted: a message in a messenger app (WhatsApp or Signal).
    "messenger": N_("WhatsApp or Signal"),
}
CONSENT_METHODS = {
    # Translators: how a person gave their consent: by ticking boxes in the online form.
    "online": N_("In the online form"),
    # Translators: how a person gave their consent: in person, to a coordinator.
    "in_person": N_("In person"),
    "phone": N_("By phone"),
    # Translators: how a person gave their consent: by signing a paper sheet.
    "paper": N_("On paper"),
}
GUARDIAN_RELATIONS = {
    # Translators: the relation of a guardian to a minor participant: mother or father.
    "parent": N_("Parent"),
    "legal_guardian": N_("Legal guardian"),
    # Translators: the last choice in a list: another relation.
    "other": N_("Other relation"),
}
# What a coordinator does by hand for a person without e-mail, instead of a mail.
CONTACT_TASK_KINDS = {
    # Translators: a task on the coordinator's dashboard: phone a person (without e-mail) and
    # tell them about a proposed tandem partner; %(partner)s is the partner's first name.
    "proposal": N_("proposal with %(partner)s"),
    "proposal_reminder": N_("reminder: proposal with %(partner)s"),
    "proposal_closed": N_("the proposal with %(partner)s will not go ahead"),
    "tandem_started": N_("the tandem with %(partner)s starts: pass on contact details"),
    "tandem_ended": N_("%(partner)s ended the tandem"),
    "checkin": N_("check-in on the tandem with %(partner)s"),
    "retention_warning": N_("their data will be deleted soon unless they stay"),
    # Translators: a task on the coordinator's dashboard: tell a person (without e-mail) where
    # and when they first meet their partner; %(partner)s is the partner's first name.
    "first_meeting": N_("first meeting with %(partner)s: tell them where and when"),
    # Translators: a task on the coordinator's dashboard: phone a waiting person and ask
    # whether they would also meet a tandem partner online (then tick it in their profile).
    "ask_online": N_("ask whether they would also meet online"),
    # Translators: a task on the coordinator's dashboard: phone a person without e-mail
    # and tell them that they moved up from an event's waiting list and have a place now.
    "event_moved_up": N_("they moved up from an event's waiting list: tell them they have a place"),
    # Translators: a task on the coordinator's dashboard: phone a person without e-mail
    # and remind them of the event they signed up for, which takes place tomorrow.
    "event_reminder": N_("remind them of their event tomorrow"),
    # Translators: a task on the coordinator's dashboard: phone a person (without e-mail) and
    # tell them kindly that their sign-up was declined.
    "signup_declined": N_("their sign-up was declined: tell them kindly"),
}
# How a person asked a coordinator to act for them (recorded with the action).
REQUEST_WAYS = {
    "phone": N_("By phone"),
    "in_person": N_("In person"),
    "paper": N_("On paper"),
}


# --- labels for coordinator pages (issue 15: no stored code on any page) ---------------------
PARTICIPANT_STATUS_LABELS = {
    # Translators: a participant's sign-up status, on coordinator pages.
    "unverified": N_("E-mail address not confirmed"),
    "pending": N_("Sign-up to review"),
    "active": N_("Taking part"),
    # Translators: a participant who paused their own participation (e.g. holidays).
    "paused": N_("Paused"),
    "withdrawn": N_("Withdrawn"),
    "declined": N_("Sign-up declined"),
}
TANDEM_STATUS_LABELS = {
    # Translators: the state of a pair of a local and a newcomer, on coordinator pages.
    "suggested": N_("Suggested, to decide"),
    "proposed": N_("Waiting for both answers"),
    "active": N_("Active"),
    "paused": N_("Paused"),
    "ended": N_("Ended"),
    "rejected": N_("Rejected by a coordinator"),
    "declined": N_("Declined by a partner"),
    "expired": N_("Expired without an answer"),
    "withdrawn": N_("Withdrawn by a coordinator"),
}
GENDER_LABELS = {"female": N_("Woman"), "male": N_("Man"), "diverse": N_("Diverse")}
CONSENT_PURPOSE_LABELS = {
    # Translators: what a participant agreed to, as listed on the coordinator's page of them.
    "matching": N_("Storing the answers to find a partner"),
    "contact_sharing": N_("Passing first name and e-mail address to the partner"),
}
ACTOR_TYPE_LABELS = {
    "coordinator": N_("Coordinator"),
    "participant": N_("Participant"),
    # Translators: the actor of an audit log entry that no person did (a scheduled task).
    "system": N_("System"),
}
AUDIT_ACTION_LABELS = {
    # Translators: what happened, in the admin's audit log.
    "checkin.answered": N_("Check-in answered"),
    "checkin.seen": N_("Check-in answer marked as handled"),
    "checkin.sent": N_("Check-in sent"),
    "contact.shared": N_("Contact details passed on"),
    "coordinator.invited": N_("Coordinator invited"),
    "coordinator.joined": N_("Coordinator account created"),
    "coordinator.second_factor_set": N_("Second factor set up"),
    "demo.load": N_("Demo data loaded"),
    # Translators: in the audit log: an event (a Stammtisch, a workshop) was cancelled.
    "event.cancelled": N_("Event cancelled"),
    "event.changed": N_("Event changed"),
    "event.created": N_("Event created"),
    # Translators: in the audit log: one date of a repeating event was cancelled.
    "event.date_cancelled": N_("One date of an event cancelled"),
    # Translators: in the audit log: an admin queued a failed background job again.
    "job.retried": N_("Failed job queued again"),
    # Translators: an audit log entry: a coordinator downloaded a list as a spreadsheet file.
    "export.participants": N_("Participant list exported"),
    "export.tandems": N_("Tandem list exported"),
    "export.report": N_("Report table exported"),
    "login": N_("Logged in"),
    "matching.run": N_("Matching started"),
    "meeting_place.archived": N_("Meeting place archived"),
    "meeting_place.changed": N_("Meeting place changed"),
    "meeting_place.created": N_("Meeting place created"),
    "meeting_place.restored": N_("Meeting place restored"),
    # Translators: in the audit log: a coordinator wrote a note about a participant.
    "note.added.participant": N_("Note about a participant added"),
    "note.added.tandem": N_("Note about a tandem added"),
    "pair.forbid": N_("Pair excluded"),
    "pair.forbidden": N_("Pair excluded"),
    "pair.unforbid": N_("Exclusion lifted"),
    "pair.lock": N_("Pair pinned"),
    "pair.pin": N_("Pair pinned"),
    "pair.unlock": N_("Pin removed"),
    "pair.unpin": N_("Pin removed"),
    "participant.approved": N_("Sign-up approved"),
    "participant.asked_online": N_("Asked whether they would meet online"),
    "participant.call_requested": N_("Call requested"),
    # Translators: in the audit log: a coordinator corrected a person's data (on request).
    "participant.correct": N_("Data corrected"),
    "participant.declined": N_("Sign-up declined"),
    "participant.decline_undone": N_("Declined sign-up restored"),
    "participant.edited": N_("Profile edited"),
    # Translators: in the audit log: a coordinator erased a person's data (on request).
    "participant.erase": N_("Data erased"),
    "participant.erased": N_("Participant erased"),
    # Translators: in the audit log: a coordinator downloaded a person's data (on request).
    "participant.export": N_("Data exported"),
    # Translators: in the audit log: a coordinator changed a person's e-mail address.
    "participant.email_changed": N_("E-mail address changed"),
    # Translators: in the audit log: a coordinator removed a person's e-mail address (they
    # have none any more; their mails become tasks for the coordinator).
    "participant.email_removed": N_("E-mail address removed"),
    # Translators: in the audit log: a coordinator paused a person's participation.
    "participant.pause": N_("Participation paused"),
    "participant.paused": N_("Participation paused"),
    # Translators: in the audit log: a coordinator showed a person's data to print it.
    "participant.print": N_("Data shown for printing"),
    # Translators: in the audit log: a coordinator signed a person up, who gave their
    # consent in person (in a consultation hour).
    "participant.registered.in_person": N_("Registered by a coordinator in person"),
    "participant.registered.phone": N_("Registered by a coordinator by phone"),
    "participant.registered.paper": N_("Registered by a coordinator from a paper sheet"),
    "participant.resume": N_("Participation resumed"),
    # Translators: in the audit log: a coordinator sent a person their profile link again.
    "participant.send_link": N_("Profile link sent again"),
    "participant.resumed": N_("Participation resumed"),
    "participant.signed_up": N_("Signed up"),
    "participant.verified": N_("E-mail address confirmed"),
    "participant.vetting_recorded": N_("Police certificate recorded"),
    "participant.viewed": N_("Participant page viewed"),
    "participant.withdrew": N_("Participant withdrew"),
    "participant.whats_on_off": N_("Monthly events e-mail switched off"),
    "participant.whats_on_on": N_("Monthly events e-mail switched on"),
    "problem.handled": N_("Problem report handled"),
    "problem.reported": N_("Problem reported"),
    # Translators: in the audit log: a person said yes to a proposed tandem partner.
    "proposal.accepted": N_("Proposal accepted"),
    "proposal.declined": N_("Proposal declined"),
    # Translators: in the audit log: a proposal ended because not both answered in time.
    "proposal.expired": N_("Proposal expired without an answer"),
    "proposal.reminded": N_("Reminder sent"),
    "proposal.resent": N_("Proposal sent again"),
    "proposal.withdrawn": N_("Proposal withdrawn"),
    "tandem.put_in_touch": N_("Partners put in touch by the coordinator"),
    "problem.urgent_alert": N_("Coordinators alerted to an urgent report"),
    "proposal.sent": N_("Proposal sent"),
    # Translators: in the audit log: the tag a region's events carry in the calendar feed.
    "region.calendar_tag_changed": N_("Calendar tag of the region changed"),
    "region.matching_relaxed": N_("Matching rule relaxed"),
    "region.contact_saved": N_("Contact for participants saved"),
    "region.weights_adopted": N_("Learned weights adopted"),
    "region.weights_saved": N_("Weights saved"),
    "retention.vetting_deleted": N_("Old police certificate record deleted"),
    "retention.warned": N_("Deletion warning sent"),
    "tandem.confirm": N_("Suggestion confirmed"),
    "tandem.ended": N_("Tandem ended"),
    "tandem.first_meeting_cleared": N_("First meeting removed"),
    "tandem.first_meeting_set": N_("First meeting set"),
    "tandem.fit_checked": N_("Fit check recorded"),
    "tandem.manual_pair": N_("Pair made by hand"),
    "tandem.paused": N_("Tandem paused"),
    "tandem.reject": N_("Suggestion rejected"),
    "tandem.rematched": N_("Newcomer back in the queue"),
    "tandem.resumed": N_("Tandem resumed"),
    "tandem.started": N_("Tandem started"),
    "tandem.viewed": N_("Tandem page viewed"),
    # Issue 17: sign-ups for an event's date, attendance at the door, private calendar feeds.
    "event.signed_up": N_("Signed up for an event"),
    "event.waiting": N_("Put on an event's waiting list"),
    "event.cancelled_signup": N_("Event sign-up cancelled"),
    "event.attendance_saved": N_("Attendance at an event saved"),
    "event.walk_in_added": N_("Walk-in added at an event"),
    "calendar_feed.renewed": N_("New address of a private calendar feed"),
}
# The last part of an action a coordinator took on a person's request, by how they asked
# ("participant.export.on_request.phone": "Data exported" + "on request by phone").
ON_REQUEST = ".on_request."
AUDIT_REQUEST_WAY_LABELS = {
    # Translators: in the audit log, after an action (e.g. "Data exported, on request by
    # phone"): the person asked the coordinator for it on the phone.
    "phone": N_("on request by phone"),
    "in_person": N_("on request in person"),
    # Translators: in the audit log: the person asked for it in writing (a letter, a form).
    "paper": N_("on request in writing"),
}


def audit_action_label(action: str) -> tuple[str, str] | None:
    """The labels (msgids) of an audit action: what was done, and for an action taken on a
    person's request how they asked ("" otherwise); None for an action with no label."""
    done, _, how = action.partition(ON_REQUEST)
    label = AUDIT_ACTION_LABELS.get(done)
    if label is None or (how and how not in AUDIT_REQUEST_WAY_LABELS):
        return None
    return label, AUDIT_REQUEST_WAY_LABELS.get(how, "")


SUBJECT_TYPE_LABELS = {
    # Translators: the kind of record an audit log entry is about.
    "participant": N_("Participant"),
    "tandem": N_("Tandem"),
    "coordinator": N_("Coordinator"),
    "check_in": N_("Check-in"),
    "problem_report": N_("Problem report"),
    "region": N_("Region"),
    "matching_run": N_("Matching"),
    "database": N_("Database"),
    "pair_rule": N_("Pair rule"),
    "vetting": N_("Police certificate"),
    "invitation": N_("Invitation"),
    "event": N_("Event"),
    "meeting_place": N_("Meeting place"),
    # Translators: the kind of record an audit log entry is about: a background job that failed.
    "failed_job": N_("Failed job"),
}


# --- job queue (issue 18) ---
RUN_STATES = {
    # Translators: the state of a matching run (the computer pairing locals and newcomers).
    "queued": N_("Queued"),
    "running": N_("In progress"),
    "done": N_("Done"),
    "failed": N_("Failed"),
}
RUN_ERRORS = {
    # Translators: why a matching run did not finish.
    "worker_lost": N_("The process doing the matching stopped (restarted or crashed)."),
    "engine_failed": N_("The matching engine failed; the details are in the worker's log."),
}


# --- meeting places (issue 17) ----------------------------------------------------------------
MEETING_PLACE_KINDS = {
    # Translators: kinds of place where a tandem (a local and a newcomer) can meet.
    "library": N_("Library"),
    # Translators: a kind of meeting place: a coffee house.
    "cafe": N_("Café"),
    "community_centre": N_("Community centre"),
    # Translators: a kind of meeting place: the rooms of a club or association (Verein).
    "association": N_("Club or association"),
    "park": N_("Park"),
    # Translators: a kind of meeting place: a video-call room on the internet.
    "online": N_("Online (video call)"),
    # Translators: the last kind of meeting place in a list: any other kind.
    "other": N_("Other place"),
}
# The languages a meeting place can describe itself in (the site's languages; German required).
DESCRIPTION_LANGUAGES = ("de", "en", "ar", "fa", "uk", "ru", "tr")

# --- events (issue 17) ---------------------------------------------------------------------------
EVENT_AUDIENCES = {
    # Translators: who an event (a Stammtisch, a workshop, a trip) is for.
    "everyone": N_("Everyone"),
    "newcomers": N_("Newcomers"),
    "locals": N_("Locals"),
    "tandems": N_("Tandems"),
}
EVENT_REPEATS = {
    # Translators: how often an event takes place.
    "once": N_("Once"),
    "weekly": N_("Every week on the ticked days"),
    "monthly": N_("Every month on the same weekday (for example every first Thursday)"),
}
