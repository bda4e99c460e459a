"""The JSON examples of APIXO's published Veo 3.1 page, copied byte for byte.

``test_contract.py`` checks that each still appears verbatim in
``../shared/apixo/veo-3-1-page.txt`` when that file is beside the checkout.
"""

SUBMIT_ACCEPTED = """{
  "code": 200,
  "message": "success",
  "data": {
    "taskId": "task_12345678"
  }
}"""

STATUS_PROCESSING = """{
  "code": 200,
  "message": "success",
  "data": {
    "taskId": "task_12345678",
    "state": "processing",
    "createTime": 1767965610929
  }
}"""

STATUS_SUCCESS = """{
  "code": 200,
  "message": "success",
  "data": {
    "taskId": "task_12345678",
    "state": "success",
    "resultJson": "{\\"resultUrls\\":[\\"https://r2.apixo.ai/xxx.mp4\\"]}",
    "createTime": 1767965610929,
    "completeTime": 1767965730929,
    "costTime": 120000
  }
}"""

STATUS_FAILED = """{
  "code": 200,
  "message": "success",
  "data": {
    "taskId": "task_12345678",
    "state": "failed",
    "failCode": "SensitiveContent",
    "failMsg": "Content violates safety policy, please adjust the prompt",
    "createTime": 1767965610929,
    "completeTime": 1767965620132,
    "costTime": 9203
  }
}"""

#: From API.md: the balance answer and the error envelope.
BALANCE = '{"code":200,"message":"success","data":74.87}'
ERROR_400 = (
    '{"code":400,"message":"Invalid request",'
    '"data":{"error":"Missing required field: input.prompt"}}'
)

ALL = {
    "submit accepted": SUBMIT_ACCEPTED,
    "status processing": STATUS_PROCESSING,
    "status success": STATUS_SUCCESS,
    "status failed": STATUS_FAILED,
}
