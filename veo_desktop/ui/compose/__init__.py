"""The Compose section: prompt, options, image slots, cost line and the Generate button.

Models (no Qt; tested in tests/ui/test_form_model.py):
    form.py          ComposeForm: the fields, the request they make, its problems, the cost
    slot_model.py    SlotModel: one image input (empty, busy, ready, in error; progress; problems)
    observable.py    Notifier (the models' change news) and Subscriptions (a view's, undone at once)
    tone.py          Tone: how an inline message reads
Views and flow (Qt):
    panel.py         ComposePanel: binds the controls to the form; the section's public API
    form_display.py  FormDisplay: writes the form into the controls, problems beside their fields
    layout.py        ComposeLayout: every control, made and laid out
    submission.py    SubmissionFlow: Generate, the money question, sending (one SubmitState)
    image_slot.py    ImageSlot: drop, paste, browse, crop, remove an image
    slot_display.py  SlotDisplay: a slot's picture, progress, notes and problems
    slot_work.py     SlotWorker: prepares, uploads or checks a slot's image
    prompt_edit.py   PromptEdit; widgets.py: small parts the dialogs share
"""
