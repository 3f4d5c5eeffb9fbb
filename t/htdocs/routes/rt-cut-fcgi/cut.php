<?php
// Answers 200 whatever became of the request body (routes_stream_cut.t).
$body = file_get_contents('php://input');
header('Content-Type: text/plain');
echo 'LR-ROUTES-PHP read=' . strlen($body) . ' cl='
    . ($_SERVER['CONTENT_LENGTH'] ?? '-') . "\n";
