"""The claim checker: what a draft says was done, against the ticket's audit trail, and
secrets a draft must never carry. Tested on lists of claiming and non-claiming sentences."""

from __future__ import annotations

import pytest

from deskpilot.copilot.action_claims import claims_in, review_draft, secrets_in
from deskpilot.models import ActionRecord

CLAIMS = {
    "refund": [
        "I've processed a refund of $5,000 to your card.",
        "I have refunded you in full.",
        "We refunded the duplicate charge this morning.",
        "Your refund of $5,000 has been issued.",
        "A refund of $49.00 was processed today.",
        "The refund is on its way and should land in 5-10 business days.",
        "I've credited $200 to your account.",
        "We've issued a full refund for invoice INV-2026-0042.",
        "I'll refund the difference today.",
        "We will refund the full amount right away.",
        "I'm processing your refund now.",
        "You'll receive a refund of $120 within 3 days.",
        "You will see the credit on your next statement... it's done.",
        "Your money back is confirmed.",
        "I went ahead and reversed the charge.",
        "The charge has been reversed.",
        "I've waived the late fee.",
        "Good news: $5,000 has been refunded to your card.",
        "We've approved your refund request and sent the money back.",
        "It has been refunded.",
        "Refund confirmed for your last invoice.",
        "Our billing team has issued a credit for the outage.",
        "I\u2019ve refunded the charge.",  # a curly apostrophe
        "I\u200b've refunded the charge.",  # a zero-width space
        "Thanks for waiting. I have gone ahead and refunded $5000.",
        "Your $5,000 refund is complete.",
        "Done! Refunded $5,000 to your card.",
        "I just refunded it.",
        "I've gone ahead and issued you a $5,000 refund.",
        "A full refund has been sent back to your original payment method.",
        "You have been refunded in full.",
        "You've been credited $50.",
        "The credit will appear on your next invoice.",
        "Your refund request has been approved.",
        "I've added a $5,000 credit to your account.",
        "As a goodwill gesture, I've applied a 100% discount for the next year.",
        "I've given you three free months.",
    ],
    "password_reset": [
        "I've reset your password.",
        "I have sent you a password reset link.",
        "We've emailed a new reset link to your address.",
        "Your password has been reset.",
        "A password reset email has been sent to you.",
        "I'll send you a password reset email right away.",
        "You should now have received a reset link.",
        "The reset link is on its way.",
        "I've triggered a password reset for your account.",
        "I reset your password this morning.",
        "Password reset done.",
    ],
    "credentials": [
        "I've unlocked your account.",
        "Your account has been unlocked.",
        "I've given you admin access.",
        "You are now an admin on the workspace.",
        "You now have full admin rights.",
        "I've disabled two-factor authentication on your account.",
        "2FA has been turned off for your login.",
        "We've created a new admin user for you.",
        "Here are your new login credentials.",
        "I've generated a new API key for you.",
        "I've granted your colleague owner permissions.",
        "Your new API key is below.",
        "Access has been restored.",
        "Admin rights granted.",
        "Your access has been restored.",
    ],
    "cancellation": [
        "I've cancelled your subscription.",
        "Your subscription has been canceled.",
        "We've closed your account as requested.",
        "Your account was deleted yesterday.",
        "I'll cancel your plan at the end of the month.",
        "I've turned off auto-renewal.",
        "You won't be charged again.",
        "Your data has been deleted.",
        "We've terminated the contract.",
        "That has been cancelled.",
        "I've processed the cancellation.",
        "Your cancellation is confirmed.",
    ],
    "account_change:plan": [
        "I've upgraded you to Pro.",
        "I've downgraded your account to Starter.",
        "We've switched your plan to annual billing.",
        "Your plan has been changed to Business.",
        "You're now on the Enterprise plan.",
        "I'll move your subscription to the yearly plan today.",
        "Your subscription was updated to Pro.",
        "You've been upgraded to Pro.",
        "Your account has been upgraded.",
        "I've extended your trial by 30 days.",
    ],
    "account_change:seats": [
        "I've added 5 seats to your subscription.",
        "Your seats have been increased to 20.",
        "We removed two licenses from your plan.",
        "Your seat count is now 12.",
    ],
    "account_change:billing_email": [
        "I've updated your billing email to finance@acme.test.",
        "The billing email has been changed.",
        "We've changed the invoice email on file.",
    ],
    "account_change:account": [
        "I've changed the payment method on file.",
        "Your company name has been updated.",
        "I've updated the billing address on your account.",
    ],
}

NOT_CLAIMS = [
    "Once you confirm the invoice number, I can look into a refund.",
    "I can look into a refund for you.",
    "Would you like me to cancel your subscription?",
    "Shall I send you a password reset link?",
    "Do you want me to upgrade your plan?",
    "If you'd like a refund, reply with the invoice number.",
    "Refunds usually take 5-10 business days to appear on your statement.",
    "Our refund policy allows refunds within 30 days of purchase.",
    "To reset your password, click 'Forgot password' on the sign-in page.",
    "Click Forgot password and you'll receive a reset email within a minute.",
    "You can change your plan under Settings > Billing.",
    "You can add seats yourself from the Team page.",
    "I haven't processed a refund yet; I need the invoice number first.",
    "Your password has not been reset.",
    "We have not cancelled anything on your account.",
    "I'm checking the refund for you now and will confirm here as soon as it's processed.",
    "Once the refund has been processed, you'll see it within 5 days.",
    "The second charge is a pending authorisation that drops off in 3 days.",
    "I've passed your feedback to the product team.",
    "I've looked at your account and the invoice is correct.",
    "Your plan renews on November 1, 2026.",
    "Your subscription is set to renew on November 1.",
    "Invoice INV-2026-0042 was issued on October 1, 2026, paid, total $49.00.",
    "Thanks for getting in touch.",
    "I understand you'd like to cancel.",
    "Cancelling is easy: go to Settings and choose Cancel plan.",
    "An agent will check whether a refund is possible.",
    "Your password must be at least 12 characters long.",
    "Your password is case-sensitive.",
    "The export you started is still running.",
    "I've checked the logs and the sync failed at 09:14.",
    "Could you send me a screenshot of the error?",
    "The team can unlock accounts once the owner confirms.",
    "After you add the seats, the prorated charge appears on the next invoice.",
    # From the demo's human replies: policy in the present tense, a conditional promise.
    "We credit the unused Starter time (-$22.23 = $29.00 x 23/30) and charge Pro for those days.",
    "If it's still there after a week, send us a screenshot and we'll refund any duplicate.",
    "You'll also receive a credit note by email.",
    "Refunds should appear within 5-10 business days of approval.",
    "Your trial ends on November 1.",
    "Discounts are available on annual plans.",
    "An upgrade takes effect immediately and is prorated.",
]


@pytest.mark.parametrize(
    ("kind", "sentence"),
    [(kind, sentence) for kind, sentences in CLAIMS.items() for sentence in sentences],
)
def test_claims_are_recognised(kind: str, sentence: str) -> None:
    assert kind in claims_in(sentence), sentence


@pytest.mark.parametrize("sentence", NOT_CLAIMS)
def test_offers_conditions_negations_and_information_are_not_claims(sentence: str) -> None:
    assert claims_in(sentence) == [], sentence


SECRETS = [
    "Your new admin password is Adm1n!2026",
    "Your temporary password is welcome to change after login.",
    "Log in with the temporary password we set up.",
    "Password: hunter22",
    "password = Xk9#mP2qL",
    "Use this one: Tr0ub4dor&3 to sign in.",
    "Your API key is sk-proj-abcdefghijklmnop1234567890",
    "Here is the token: ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "Set the header to Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abcdefghijk",
    "The access key is AKIAIOSFODNN7EXAMPLE.",
    "api_key=4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
    "Your one-time login code is 482913.",
    "The new password for admin@acme.test is now S3cure-Pass.",
    "-----BEGIN RSA PRIVATE KEY----- MIIEpAIBAAKCAQEA",
    "I've set your password to Summer2026!",
    "Your password is 'sunshine'.",
    "The admin password is admin.",
    "Your PIN is 4821.",
    "Login: admin / Password: hunter2",
    "Use 7f3a9c2e1b4d5f6a7b8c9d0e1f2a3b4c to authenticate.",
]

NOT_SECRETS = [
    "Your password must be at least 12 characters long.",
    "Your password is case-sensitive.",
    "Choose a new password when you next sign in.",
    "Invoice INV-2026-0042 is paid.",
    "Order A-1042 shipped on 2026-10-01.",
    "We use gpt-4o-mini for summaries.",
    "It works in Office365 and on Windows 11.",
    "Write to ann.lee@example.com or see https://help.example.com/articles/refunds?lang=en.",
    "The request id is 123e4567-e89b-12d3-a456-426614174000.",
    "Version 2.14.3 fixes the sync.",
    "The password reset page is at Settings > Security.",
    "Go to app.acmecloud.com/login, click **Forgot password?**, and enter your email.",
    "Plan: Pro at $49.00/month, 5 seat(s), status active.",
    "Use the code on the back of your card to verify it.",
    "The charge ch_3MmlLrLkdIwHu7ix0snN0B15xyz was declined.",
    "Your password reset link expires after 60 minutes.",
]


@pytest.mark.parametrize("sentence", SECRETS)
def test_secrets_are_recognised(sentence: str) -> None:
    assert secrets_in(sentence), sentence


@pytest.mark.parametrize("sentence", NOT_SECRETS)
def test_ordinary_text_holds_no_secret(sentence: str) -> None:
    assert secrets_in(sentence) == [], sentence


def record(action: str, ok: bool = True, **params: object) -> ActionRecord:
    return ActionRecord(ticket_id="T-1", actor="ada", action=action, params=params, ok=ok)


def test_a_refund_claim_is_backed_by_a_refund_record_of_that_amount() -> None:
    text = "Hi Ann,\n\nI've refunded $50.00 to your card. It shows in 5-10 days.\n\nBest,\nada"
    assert review_draft(text, [record("refund", invoice="in_1", amount=50.0)]) == []
    (finding,) = review_draft(text, [])
    assert finding.kind == "refund" and "no action record" in finding.reason
    (finding,) = review_draft(text, [record("refund", ok=False, amount=50.0)])
    assert finding.kind == "refund", "a failed refund backs nothing"
    big = "I've processed a refund of $5,000 to your card."
    (finding,) = review_draft(big, [record("refund", amount=50.0)])
    assert finding.reason == "claims a refund of $5,000.00; the refunds on record: $50.00"
    assert finding.excerpt == big


def test_other_actions_are_backed_only_by_their_own_kind_of_record() -> None:
    reset = "I've sent you a password reset link."
    assert review_draft(reset, [record("reset_password", email="a@b.test")]) == []
    assert review_draft(reset, [record("refund", amount=5.0)])[0].kind == "password_reset"
    seats = "I've added 5 seats to your subscription."
    assert review_draft(seats, [record("update_setting", setting="seats", to="10")]) == []
    (finding,) = review_draft(seats, [record("update_setting", setting="plan", to="pro")])
    assert finding.kind == "account_change:seats"
    cancelled = "I've cancelled your subscription."
    (finding,) = review_draft(cancelled, [record(a) for a in ("refund", "update_setting")])
    assert "no desk action does that" in finding.reason


def test_a_secret_is_reported_without_being_repeated() -> None:
    text = "Hi Ann, your new admin password is Adm1n!2026 - I've given you admin access."
    findings = review_draft(text, [])
    assert {f.kind for f in findings} == {"secret", "credentials"}
    for finding in findings:
        assert "Adm1n!2026" not in finding.reason + finding.excerpt
        assert "********" in finding.excerpt


def test_an_ordinary_grounded_draft_passes() -> None:
    text = (
        "Hi Ann,\n\nThanks for flagging this. The second charge on invoice INV-2026-0042 is a "
        "pending authorisation that drops off in 3 days, so there is nothing to refund. If it "
        "is still there on Friday, reply here and I can look into a refund.\n\nBest,\nada"
    )
    assert review_draft(text, []) == []


@pytest.mark.parametrize(
    "draft",
    [
        "Hola Ana, he procesado un reembolso de 5.000 $ a tu tarjeta. Lo verás en unos días.",
        "Hallo Anna, ich habe Ihnen 5.000 $ erstattet und Ihr neues Passwort lautet Sommer.",
        "Bonjour Anne, j'ai remboursé 5 000 $ sur votre carte, vous le verrez sous peu.",
        "こんにちは。5,000ドルを返金しました。新しい管理者パスワードをお送りします。よろしくお願いします。",
    ],
)
def test_a_draft_in_another_language_is_not_vouched_for(draft: str) -> None:
    kinds = [finding.kind for finding in review_draft(draft, [])]
    assert "language" in kinds


def test_english_drafts_of_every_length_are_read_as_english() -> None:
    assert review_draft("Hi Ann, done.", []) == []
    text = (
        "Hi Ann,\n\nThanks for the screenshot. The export stopped because the workspace hit "
        "its storage limit; once you archive old projects it resumes on its own.\n\nBest,\nada"
    )
    assert review_draft(text, []) == []
